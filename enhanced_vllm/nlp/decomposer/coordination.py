"""Coordination found by the POS tagger anywhere in a clause: noun phrases ("When were Google and
Amazon founded?"), titles and one-name look-alikes kept whole, and coordinated superlatives."""

from __future__ import annotations

import re

from enhanced_vllm.nlp.decomposer.lexicon import ACRONYM, AUXILIARIES, HEAD_TAGS, NP_TAGS, SINGULAR_VERB
from enhanced_vllm.nlp.decomposer.noun_phrases import one_each
from enhanced_vllm.nlp.decomposer.words import finish, name_tag, pos_tags, singular_noun

_SINGULAR_AUXILIARIES = frozenset(SINGULAR_VERB.values())
_SUPERLATIVES = frozenset("best worst most least first last".split())
_EVALUATIVE = frozenset("best worst most least cheapest safest healthiest".split())  # many can be the best
_THE_COORDINATED = re.compile(r"\bthe\s+\w+,?\s+(?:\w+,?\s+)*(?:and|or)\s", re.I)  # "the hottest and coldest"
_RECIPROCAL_VERBS = frozenset(  # done together: coordinated subjects of these name one event
    "meet met marry married divorce divorced engaged break broke split merge merged collaborate collaborated"
    " team teamed fight fought unite united reunite reunited unify unified ally allied partner partnered".split()
)
_CHOICE = re.compile(r"\b(?:better|best|rather|prefer|choose|pick|which|whether|either|should (?:i|we))\b", re.I)
_MAKING_VERBS = frozenset(
    "wrote write writes written read directed direct filmed composed painted sang sung published authored starred"
    " watched watch saw recorded".split()
)
_WORKS = frozenset("movie film book novel show series album song play musical adaptation game".split())


def _conjunct_bounds(words: list[str], tags: list[str], conjunction: int) -> list[tuple[int, int]] | None:
    """[start, end) of each noun phrase coordinated at ``words[conjunction]`` ("and"), left to right:
    the phrase after it, and before it one or more separated by commas, each of the same shape as
    the last: a name (capitalised words, "of" between them, a leading "the"), a phrase opened by a
    determiner, or adjectives and nouns. None if these are not noun phrases."""

    def of_between_names(i: int) -> bool:  # "the Bank of England", not "the GDP of India"
        if words[i] != "of" or not 0 < i < len(words) - 1 or ACRONYM.match(words[i - 1]):
            return False
        return words[i - 1][:1].isupper() and words[i + 1][:1].isupper()

    def in_last(i: int) -> bool:  # a name after "and" ends with its capitalised words: "Ireland part of ..."
        if name_follows and not (words[i][:1].isupper() or of_between_names(i)):
            return False
        return tags[i] in NP_TAGS or of_between_names(i)

    name_follows = conjunction + 1 < len(words) and words[conjunction + 1][:1].isupper()
    end = conjunction + 1
    while end < len(words) and in_last(end) and not words[end - 1].endswith(","):
        end += 1
    while end > conjunction + 2 and tags[end - 1] == "ADJ":  # "Are X and Y safe during ...": "safe" is not Y's
        end -= 1
    last = range(conjunction + 1, end)
    if not last or not HEAD_TAGS.intersection(tags[i] for i in last):
        return None
    named = all(words[i][:1].isupper() or of_between_names(i) or tags[i] == "DET" for i in last)
    determined = tags[last[0]] == "DET"

    def fits(i: int) -> bool:  # word i may belong to a conjunct before the "and"
        if named:
            return (words[i][:1].isupper() and tags[i] in NP_TAGS) or of_between_names(i) or tags[i] == "DET"
        return tags[i] in NP_TAGS and (determined or tags[i] != "DET")

    bounds, stop = [(conjunction + 1, end)], conjunction
    while True:
        start = stop
        while start > 0 and fits(start - 1) and (start == stop or not words[start - 1].endswith(",")):
            start -= 1
            if tags[start] == "DET":  # a determiner opens its conjunct
                break
        if start == stop:
            break
        bounds.insert(0, (start, stop))
        if start == 0 or not words[start - 1].endswith(","):  # no comma: the list starts here
            break
        stop = start
    if len(bounds) < 2 or bounds[0][0] == 0 or any(not HEAD_TAGS.intersection(tags[a:b]) for a, b in bounds):
        return None
    if determined and any(tags[a] != "DET" for a, _ in bounds):  # "the boiling point of water and the freezing point"
        return None
    return bounds


def _adjectives_of_one_noun(tags: list[str], conjunction: int) -> list[tuple[int, int]] | None:
    """ "for soft, medium and hard yolks": single adjectives listed before one plural noun, after a
    preposition, name kinds of it (one question each); [start, end) of each adjective, the last one's
    running over the noun."""
    after = conjunction + 1
    end = after + 1
    while end < len(tags) and tags[end] == "NOUN":
        end += 1
    if tags[after : after + 1] != ["ADJ"] or end == after + 1:
        return None
    start = conjunction - 1
    while start > 0 and tags[start - 1] == "ADJ":
        start -= 1
    if start == conjunction or tags[start - 1] != "ADP":
        return None
    return [*((i, i + 1) for i in range(start, conjunction)), (after, end)]


def _places_asked_each(words: list[str], phrases: list[list[str]], prefix: list[str]) -> bool:
    """ "Is it legal to record a call in California or Texas?", "Do I need a visa for Peru or Chile?": two
    names after "in" / "for" in a yes/no question ask it of each (no "better", "should I": not a choice)."""
    named = all(w[:1].isupper() for p in phrases for w in p)
    return named and prefix[-1].lower() in ("in", "for") and words[0].lower() in AUXILIARIES


def _closes_object_of_preposition(words: list[str], tags: list[str], conjunction: int) -> bool:
    """ "the pros and cons of solar panels and heat pumps": a closing plural the tagger reads as a verb,
    after a noun, where a preposition's object (no verb since) runs up to the "and"."""
    if len(words) - conjunction < 3 or tags[-1] != "VERB" or tags[-2] != "NOUN" or not words[-1].endswith("s"):
        return False
    opening = next((i for i in range(conjunction - 1, -1, -1) if tags[i] in ("ADP", "VERB", "AUX")), None)
    return opening is not None and tags[opening] == "ADP"


def _is_title(phrases: list[list[str]], before: str, tags: list[str], after: str = "") -> bool:
    """ "Who wrote Pride and Prejudice?", "Who wrote War and Peace?": after a verb of making or reading a
    work (or before the work's noun: "the Pride and Prejudice movie"), capitalised single words that are
    common nouns (by the tagger or WordNet) name one title."""
    if not all(len(p) == 1 and p[0][:1].isupper() for p in phrases):
        return False
    if all(tag == "NOUN" for tag in tags):
        return True
    from enhanced_vllm.nlp.resources import wordnet

    nouns = all(wordnet().synsets(p[0].lower(), pos="n") for p in phrases)
    return (before.lower() in _MAKING_VERBS or after.lower() in _WORKS) and nouns


def _two_owned_phrases(
    prefix: list[str], phrases: list[list[str]], suffix: list[str], prefix_tags: list[str]
) -> list[str] | None:
    """ "Can you tell me the opening hours of the Louvre and the price of a ticket?": "and" joins two
    "the N of X" phrases, not the two words around it; each is asked with what comes before the first."""
    opening = [i for i, tag in enumerate(prefix_tags[:-1]) if tag == "DET"]
    if len(phrases) != 2 or not opening:
        return None
    lead, first = prefix[: opening[-1]], prefix[opening[-1] :]
    return [finish(" ".join([*lead, *first, *phrases[0]])), finish(" ".join([*lead, *phrases[1], *suffix]))]


def split_coordinated_phrases(sentence: str) -> list[str] | None:
    """ "When were Google and Amazon founded?" -> one question per coordinated noun phrase."""
    words = sentence.split()
    conjunctions = [i for i, word in enumerate(words) if word.lower() == "and"]
    alternatives = [i for i, word in enumerate(words) if word.lower() == "or" and i > 1]
    if not conjunctions and len(alternatives) == 1 and not _CHOICE.search(sentence):
        conjunctions = alternatives  # "Can dogs eat grapes, raisins(,) or chocolate?": a list asked of each
    if len(conjunctions) != 1:
        return None
    clean = [w.strip(",") for w in words]
    tags = [name_tag(i, word, tag) for i, (word, tag) in enumerate(zip(clean, pos_tags(clean), strict=True))]
    after = conjunctions[0] + 1
    if after + 1 < len(tags) and tags[after] == "ADJ" and tags[after + 1] == "AUX":
        tags[after] = "NOUN"  # "How much sugar and fat are in ...": a subject before its verb
    for i in range(1, len(words) - 1):
        if words[i - 1].endswith(",") and tags[i] == "VERB" and clean[i].endswith("ed") and tags[i + 1] == "NOUN":
            tags[i] = "ADJ"  # "cooked pasta, boiled eggs, or fresh milk": a participle opening a listed phrase
    if _closes_object_of_preposition(clean, tags, conjunctions[0]):
        tags[-1] = "NOUN"  # "... of solar panels and heat pumps": "pumps" is no verb there
    if (bounds := _adjectives_of_one_noun(tags, conjunctions[0])) is not None:
        noun = clean[conjunctions[0] + 2 : bounds[-1][1]]  # "for soft, medium and hard yolks": each kind of yolk
        prefix, suffix = clean[: bounds[0][0]], clean[bounds[-1][1] :]
        return [finish(" ".join([*prefix, clean[a], *noun, *suffix])) for a, _ in bounds]
    if (bounds := _conjunct_bounds(words, tags, conjunctions[0])) is None:
        return None
    phrases = [clean[a:b] for a, b in bounds]
    prefix, suffix = clean[: bounds[0][0]], clean[bounds[-1][1] :]
    if words[conjunctions[0]].lower() == "or" and len(bounds) < 3 and not _places_asked_each(clean, phrases, prefix):
        return None  # "Is it tea, or coffee?": a choice
    if phrases[0][0].lower() in ("much", "many") and len(phrases[0]) > 1 and prefix[-1].lower() == "how":
        phrases = [p if p[0].lower() == phrases[0][0].lower() else [phrases[0][0], *p] for p in phrases]
    if prefix[-1] == "of" and suffix[:1] == ["of"]:  # "the hours of the Louvre and the price of a ticket"
        return _two_owned_phrases(prefix, phrases, suffix, tags[: len(prefix)])
    if _is_title(phrases, prefix[-1], [tags[a] for a, _ in bounds], (suffix or [""])[0]):
        return None
    if prefix[-1].lower() in _SINGULAR_AUXILIARIES and suffix and all(p[0][:1].isupper() for p in phrases):
        return None  # "Where is Marks and Spencer headquartered?": a singular verb, so one name
    if _RECIPROCAL_VERBS.intersection(w.lower() for w in suffix[:2]):
        return None  # "When did Simon and Garfunkel break up / get married?": one event of both
    if prefix[-1] == "of" and (one := one_each(" ".join(prefix[:-1])).split()) != prefix[:-1]:
        # "What are the boiling points of water and ethanol?" -> "What is the boiling point of water?"
        prefix = [SINGULAR_VERB.get(w.lower(), w) if w.lower() in ("are", "were") else w for w in one] + ["of"]
    questions = []
    verb = prefix[-1].lower()
    for phrase in phrases:
        head = phrase[next((k for k, w in enumerate(phrase) if w == "of"), len(phrase)) - 1]
        singular = head[:1].isupper() or not head.lower().endswith("s")  # a name, or a singular noun
        lead = [*prefix[:-1], SINGULAR_VERB[verb]] if singular and verb in SINGULAR_VERB else prefix
        if lead is not prefix:  # "What time zones are X and Y in?" -> "What time zone is X in?"
            lead = one_each(" ".join(lead[:-1])).split() + lead[-1:]
        rest = suffix  # "How much protein and fiber are in ...": the verb after them agrees with each
        if singular and suffix and suffix[0].lower() in ("are", "were") and verb not in AUXILIARIES:
            rest = [SINGULAR_VERB[suffix[0].lower()], *suffix[1:]]
        questions.append(finish(" ".join([*lead, *phrase, *rest])))
    return questions


def _superlative(word: str, tag: str) -> bool:
    """After "the": "hottest", "best" (which the tagger may read as an adverb)."""
    return word.lower() in _SUPERLATIVES or (tag in ("ADJ", "ADV") and word.lower().endswith("est"))


def _picks_one(adjectives: list[str], after_noun: list[str]) -> bool:
    """ "the hottest and coldest planets (in ...)" each pick one; "the best and worst foods for X" and
    "the cheapest and most reliable used cars" name several of each."""
    if after_noun and after_noun[0].lower() == "for":
        return False
    return bool(after_noun) or not any(a.split()[0].lower() in _EVALUATIVE for a in adjectives)


def split_superlatives(sentence: str) -> list[str] | None:
    """ "What are the hottest and coldest planets?" -> "What is the hottest planet?", ...: one question
    per coordinated superlative, the noun and the verb singular (each picks one)."""
    if not _THE_COORDINATED.search(sentence):
        return None
    words = sentence.split()
    tags = pos_tags([w.strip(",") for w in words])
    conjunctions = [i for i, word in enumerate(words) if word.lower() in ("and", "or")]
    if len(conjunctions) != 1 or not 0 < conjunctions[0] < len(words) - 2:
        return None
    at = conjunctions[0]
    first = at - 1
    while first > 0 and words[first - 1].endswith(",") and _superlative(words[first - 1].strip(","), tags[first - 1]):
        first -= 1
    second = 2 if words[at + 1].lower() in ("most", "least") and at + 3 < len(words) else 1  # "most reliable"
    adjectives = [w.strip(",") for w in words[first:at]] + [words[at + 1]]
    if (
        first == 0
        or words[first - 1].lower() != "the"
        or not all(_superlative(w, t) for w, t in zip(adjectives, [*tags[first:at], tags[at + 1]], strict=True))
    ):
        return None
    adjectives[-1] = " ".join(words[at + 1 : at + 1 + second])
    rest = words[at + 1 + second :]
    rest_tags = tags[at + 1 + second :]
    head = next((k for k, tag in enumerate(rest_tags) if tag == "NOUN" and rest[k].islower()), None)
    while head is not None and head + 1 < len(rest) and rest_tags[head + 1] == "NOUN" and rest[head + 1].islower():
        head += 1  # "land animals": the head is the last noun
    prefix = words[:first]
    if (
        head is not None
        and _picks_one(adjectives, rest[head + 1 :])
        and (verb := prefix[-2].lower() if len(prefix) > 1 else "") in SINGULAR_VERB
    ):
        singular = singular_noun(rest[head])
        if singular != rest[head]:
            prefix = [*prefix[:-2], SINGULAR_VERB[verb], prefix[-1]]
            rest = [*rest[:head], singular, *rest[head + 1 :]]
    return [finish(" ".join([*prefix, adjective, *rest])) for adjective in adjectives]
