"""What a later clause's pronoun points back to (the subject, a plural noun, a person, an "a N"), and the
pronouns replaced by it."""

from __future__ import annotations

import re

from enhanced_vllm.nlp.decomposer.lexicon import (
    AUXILIARIES,
    EMBEDDING_FRAME,
    IMPERATIVE,
    REQUEST_FRAME,
    SINGULAR_VERB,
)
from enhanced_vllm.nlp.decomposer.words import looks_plural, noun_phrase_end, pos_tags

_COPULA_NP = re.compile(  # "What is machine learning", "Which is the tallest building in the world"
    r"^(?:what|who|which)(?:\s+(?:is|are|was|were)|'s)\s+(?P<np>.+)$", re.I
)
# "Where can I buy a laptop": what a later "it" means is the doer's object
_DOER_OBJECT = re.compile(
    r"^(?:how|where|when|why|what)\s+(?:can|do|should|could|would|will|did)\s+(?:I|you|we|one)\s+[a-z]+\s+(?P<np>.+)$",
    re.I,
)
_AUX_NP = re.compile(  # "How does photosynthesis work"
    r"^(?:how|why|when|where|what)\s+(?:does|do|did|is|was|can|could|will|would|should)\s+(?P<np>.+?)"
    r"\s+(?!(?:that|this|it|them|these|those)$)[a-z]+$",  # "What could cause that": no noun phrase
    re.I,
)
_IMPERATIVE_NP = re.compile(rf"^{IMPERATIVE}\s+(?P<np>.+)$", re.I)  # "Explain recursion"
_GENDER = dict.fromkeys(
    "father son husband brother king prince uncle nephew grandfather boyfriend dad".split(), "male"
) | dict.fromkeys("mother daughter wife sister queen princess aunt niece grandmother girlfriend mom".split(), "female")
_GENDERED_OWNER = re.compile(rf"^(?P<owner>.+?)'s\s+(?P<noun>{'|'.join(_GENDER)})$", re.I)
_FRAME = re.compile(rf"^{REQUEST_FRAME}\s+", re.I)
# "Who invented the telephone"
_OBJECT_NP = re.compile(r"^(?:who|what)\s+(?P<verb>[a-z]+ed|[a-z]+s)\s+(?P<np>.+)$", re.I)
_PERSONAL_PRONOUNS = frozenset({"he", "she", "him", "his", "her"})
_LOCATIVE = frozenset({"on", "in", "at"})
_DOERS = frozenset({"I", "you", "we", "one", "they"})
_AGENT_NOUNS = {  # "Who founded X and when did he retire?": he is the founder of X
    "founded": "founder",
    "invented": "inventor",
    "wrote": "author",
    "discovered": "discoverer",
    "directed": "director",
    "painted": "painter",
    "composed": "composer",
    "designed": "designer",
    "created": "creator",
    "built": "builder",
    "developed": "developer",
    "won": "winner",
    "owns": "owner",
    "bought": "buyer",
    "sold": "seller",
    "killed": "killer",
    "murdered": "murderer",
    "translated": "translator",
    "produced": "producer",
    "published": "publisher",
    "ruled": "ruler",
    "coached": "coach",
    "leads": "leader",
}
_POSSESSIVES = frozenset({"its", "his", "their"})
_OWNERS = _POSSESSIVES | {"her"}  # "his Ninth Symphony", "her first Nobel Prize"
_ORDINALS = frozenset("first second third fourth fifth last latest next only".split())
_PLURAL_PRONOUNS = frozenset({"they", "them", "their"})
_PLURAL_PRONOUN = re.compile(rf"\b(?:{'|'.join(_PLURAL_PRONOUNS)})\b", re.I)
_AUX_SUBJECT = re.compile(  # "Can dogs eat", "Why do cats purr": a plural subject the clause opens with
    r"^(?:(?:how|what|where|when|why)\s+)?(?:can|could|do|did|will|would|should|are|were)\s+"
    r"(?P<np>(?:the\s+)?[a-z]+[^s\W]s(?:\s+and\s+[a-z]+[^s\W]s)?)\s+[a-z]+\b(?!s\b)",  # "cats and dogs"
    re.I,
)
_PLURAL_OF = re.compile(  # "the main causes of X", "the main ingredients in pesto": "it" is X
    r"^(?:the\s+)?(?:[a-z]+\s+)?[a-z]*[^su\Wi]s\s+(?:of|in)\s+(?P<x>.+)$", re.I
)
_EXPLETIVE_IT = re.compile(  # "is it safe to give him X", "does it take", "is it true that": no referent
    r"(?:'s)?\s+(?:(?!\w+ed\b)\w+\s+)?to\s+\w+\s+(?!than\b)\w"  # not "is it used to date", "cheaper to run than"
    r"|\s+takes?\b|(?:'s)?\s+(?:\w+\s+)?(?:that|if|whether)\b",
    re.I,
)
# "What's the best way to clean a cast iron pan", "Is it legal to own a raccoon": what the infinitive acts on
_INFINITIVE = re.compile(
    r"^(?:(?:what|which)(?:'s|\s+is|\s+are)\s+the\s+(?:\w+\s+)?(?:way|ways|time)|how|(?:is|was|isn't)\s+it\s+\w+)"
    r"\s+to\s+(?P<verb>[a-z]+)\s+(?P<rest>.+)$",
    re.I,
)
_PREPOSITIONS = frozenset("with on in for into at from about".split())
_THERE = re.compile(r"\bthere\b(?!\s+(?:is|are|was|were)\b)", re.I)
# "take her to the vet": "her" an object before a preposition or a particle, not an owner
_OBJECT_HER = r"her(?=[?.!,]*$|\s+(?:to|in|on|at|for|with|from|into|about|up|out|down|off|back|home|again)\b)"
_SPEAKERS = re.compile(r"^(?:my|our)\s", re.I)
_INDEFINITE = re.compile(r"^(?:an?)\s", re.I)
_AFTER_DO = re.compile(r"\b(?:do|does|did|doing|done)\s+$", re.I)  # "how often to do it": "it" is the action
_DONE_END = re.compile(r"\s*(?:[?.!]|$|\s+(?:in|at|on|with|by|for|without|again|myself|safely|properly)\b)", re.I)
_TAKES_WHAT = re.compile(r"^(?:what|which)\s+[a-z]+\s+(?:does|did|will)\s+it\s+take\b", re.I)  # "What oil does it take"
_PERFECT = re.compile(r"\s+(?:been|got)\b", re.I)  # "it's been": it has been
_ACQUIRED = re.compile(
    r"^(?:(?P<owner>I|we)(?:'ve|\s+have)?\s+(?:just\s+|recently\s+)?"
    r"(?:adopted|bought|got|rescued|purchased|inherited|have|own))\s+(?:an?|the)\s+(?P<rest>.+)$",
    re.I,
)
_CALENDAR = frozenset(  # capitalised, yet not what a later clause is about
    "monday mondays tuesday tuesdays wednesday wednesdays thursday thursdays friday fridays saturday saturdays sunday"
    " sundays january february march april may june july august september october november december".split()
)


def subject_of(clause: str) -> str | None:
    """The entity a later clause's pronoun refers to: the last run of capitalised words (not the
    first word), else a sentence-initial name, else the clause's noun phrase (``_noun_phrase``)."""
    words = clause.rstrip("?.!").split()
    if (acquired := _ACQUIRED.match(" ".join(words))) is not None and _owned_thing(acquired.group("rest").split()):
        return _possessed(words)  # "I have a 2018 Toyota RAV4." -> "my 2018 Toyota RAV4"
    runs, starts, current = [], [], []
    for i, word in enumerate(words):
        named = any(c.isupper() for c in word)  # "Tesla", "iPhone"
        if i > 0 and named and (word != "I" or current) and word.strip(",;").lower() not in _CALENDAR:
            if not current:
                starts.append(i)
            current.append(word.strip(",;"))
        elif current and word.strip(",;").isdigit() and len(word.strip(",;")) < 4:
            current.append(word.strip(",;"))  # "Tesla Model 3", not "in Paris 2024"
        elif current and word == "&" and i + 1 < len(words) and words[i + 1][:1].isupper():
            current.append(word)  # "Procter & Gamble"
        elif current and word in ("of", "the") and _name_goes_on(words, i):
            current.append(word)  # "the Great Wall of China", "the Bank of the West"
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    if runs:
        run, start = _with_nouns(runs[-1], words, starts[-1]), starts[-1]
        before = words[start - 2 if start > 1 and words[start - 1] == "the" else start - 1].lower()
        if before in _LOCATIVE and (copula := _COPULA_NP.match(" ".join(words))):
            return copula.group("np")  # "What is the largest ocean on Earth": the ocean, not the Earth
        if before in _LOCATIVE and _INDEFINITE.match(acted_on := _doer_object(words) or ""):
            return acted_on  # "How do I sort a list in Python", "Is it legal to own a raccoon in Texas": not the place
        owned = start - 2 if start > 1 and words[start - 1].islower() and words[start - 1] in _ORDINALS else start - 1
        if owned >= 0 and words[owned].lower() in _OWNERS and len(runs) > 1:
            named = " ".join([*words[owned + 1 : start], *run])  # "Beethoven ... his Ninth Symphony", "her first"
            return f"the {named} of {' '.join(runs[-2])}"
        if run[-1].endswith("'s"):  # "Taylor Swift's best-selling album"
            run = _with_owned(run, words, start)
        if start > 1 and words[start - 1].isdigit() and words[start - 2].lower() in ("the", "a", "an"):
            return " ".join([words[start - 2].lower(), words[start - 1], *run])  # "the 2018 World Cup", "a 2020 Ford"
        article = words[start - 1].lower() if start > 0 and words[start - 1].lower() in ("the", "a", "an") else None
        return " ".join([article, *run] if article else run)  # "the Eiffel Tower", "a Roth IRA"
    return (
        _leading_proper_noun(words)
        or _possessed(words)
        or infinitive_object(words)
        or _noun_phrase(" ".join(words))
        or _yes_no_subject(words)
        or _place_object(words)
    )


def _owned_thing(rest: list[str]) -> bool:
    """ "a 2018 Toyota RAV4", "an old laptop": one short noun phrase, not "a question about Python"."""
    return len(rest) <= 5 and not any(w.lower() in _PREPOSITIONS or w.lower() in ("of", "to") for w in rest)


def _place_object(words: list[str]) -> str | None:
    """ "How many calories are in an avocado", "... in an emergency fund": the closing "in a N" a later
    "it" means."""
    words = [w.strip(",;") for w in words]
    at = next((i for i in range(len(words) - 2, 1, -1) if words[i].lower() in ("in", "on")), None)
    if at is None or words[at + 1].lower() not in ("a", "an"):
        return None
    end = noun_phrase_end(pos_tags(words), at + 1)
    return " ".join(words[at + 1 :]) if end == len(words) else None


def _doer_object(words: list[str]) -> str | None:
    """What "I" acts on ("How do I sort a list"), or what an infinitive does ("Is it legal to own a raccoon")."""
    doer = _DOER_OBJECT.match(" ".join(words))
    return doer.group("np") if doer is not None else infinitive_object(words)


def infinitive_object(words: list[str]) -> str | None:
    """ "What's the best way to store fresh basil", "Is it safe to drive with the check engine light on":
    the noun phrase the infinitive acts on (after one preposition), which a later "it" means."""
    if (match := _INFINITIVE.match(_FRAME.sub("", " ".join(words)).rstrip("?.!"))) is None:
        return None
    rest = [w.strip(",;") for w in match.group("rest").split()]
    start = 1 if rest[0].lower() in _PREPOSITIONS else 0
    end = noun_phrase_end(pos_tags(rest), start)
    if end is None and rest[start : start + 1] in (["a"], ["an"], ["the"]) and len(rest) - start <= 4:
        end = len(rest)  # "a sourdough starter": a word the tagger does not know
    return " ".join(rest[start:end]) if end is not None else None


def _possessed(words: list[str]) -> str | None:
    """ "My grandmother was diagnosed with ...", "Our dog is 12.", "I just adopted a beagle puppy.": the
    speaker's own, as "my grandmother", "my beagle puppy"."""
    if (acquired := _ACQUIRED.match(" ".join(words))) is not None:
        words = ["my" if acquired.group("owner").lower() == "i" else "our", *acquired.group("rest").split()]
        if any(not w.islower() for w in words[1:]):  # "I have a 2018 Toyota RAV4": all of it
            return " ".join(words)
    if len(words) < 3 or words[0].lower() not in ("my", "our"):
        return None
    end = noun_phrase_end(pos_tags([w.strip(",;.") for w in words]), 0)  # "my" is a determiner
    if end is None or end < 2 or not all(w.islower() for w in words[1:end]):
        return None
    return " ".join([words[0].lower(), *words[1:end]])


def _yes_no_subject(words: list[str]) -> str | None:
    """ "Is ibuprofen safe during pregnancy", "Can cats eat cheese": the noun phrase after the opening
    auxiliary, by the tagger."""
    if len(words) < 3 or words[0].lower() not in AUXILIARIES:
        return None
    tags = pos_tags(words[1:])
    end = noun_phrase_end(tags, 0)  # "ibuprofen safe": the phrase ends on its noun
    return " ".join(words[1 : end + 1]) if end is not None and end <= 4 and end < len(tags) else None


def _name_goes_on(words: list[str], i: int) -> bool:
    """ "of" or "of the" at ``words[i]`` inside a name: a capitalised word follows."""
    after = words[i + 1 : i + 3]
    if words[i] == "the":
        return words[i - 1] == "of" and after[:1] != [] and after[0][:1].isupper()
    return bool(after) and (after[0][:1].isupper() or (after[0] == "the" and len(after) > 1 and after[1][:1].isupper()))


def _with_nouns(run: list[str], words: list[str], start: int) -> list[str]:
    """A name with the common nouns that follow it: "LASIK surgery", "the Rust programming language"."""
    end = start + len(run)
    if run[-1].isdigit():  # "a Tesla Model 3 cost": the verb follows
        return run
    tags = pos_tags([w.strip(",;") for w in words])
    while end < len(words) and words[end].islower() and words[end] not in _DOERS and _noun_here(words, tags, end):
        if end + 1 < len(words) and (tags[end + 1] == "DET" or words[end + 1].lower() in _OWNERS):
            break  # "did Apple release the iPhone", "did Usain Bolt set his ...": a verb
        end += 1
        if tags[end - 1] == "VERB":  # the clause's verb comes next
            break
    return [*run, *(w.strip(",;") for w in words[start + len(run) : end])]


def _with_owned(run: list[str], words: list[str], start: int) -> list[str]:
    """A possessive name with what it owns: "Taylor Swift's" + "best-selling album"."""
    end = stop = start + len(run)
    tags = pos_tags([w.strip(",;") for w in words])
    owned = ("ADJ", "NOUN", "VERB", "NUM")
    while stop < len(words) and words[stop].islower() and (tags[stop] in owned or words[stop] in ("most", "least")):
        stop += 1  # "best-selling album", "most famous song"
    return [*run, *(w.strip(",;") for w in words[end:stop])]


def _noun_here(words: list[str], tags: list[str], i: int) -> bool:
    """A noun, or a plural the tagger reads as a verb before the clause's verb ("how TCP handshakes work")."""
    if tags[i] == "NOUN":
        return True
    before_verb = i + 2 == len(words) or (i + 1 < len(words) and tags[i + 1] in ("VERB", "AUX"))
    return tags[i] == "VERB" and looks_plural(words[i]) and before_verb


def _noun_phrase(clause: str) -> str | None:
    """A short noun phrase the clause is about: after a copula ("What is machine learning"), between
    an auxiliary and the verb ("How does photosynthesis work") or after the verb ("Who invented the
    telephone"), also inside a request ("Can you tell me who invented the telephone")."""
    patterns = (_COPULA_NP, _DOER_OBJECT, _AUX_NP, _IMPERATIVE_NP, EMBEDDING_FRAME, _OBJECT_NP)
    for pattern, text in [(p, clause) for p in patterns] + [(_OBJECT_NP, _FRAME.sub("", clause))]:
        match = pattern.match(text)
        if match is None or (pattern is _OBJECT_NP and match.group("verb").lower() in AUXILIARIES):
            continue
        words = match.group("np").split()
        longest = 7 if pattern is _COPULA_NP else 4  # "What is the tallest building in the world"
        if words[0] in _DOERS:  # "How can I find it": no noun phrase here
            continue
        if 1 <= len(words) <= longest and not AUXILIARIES.intersection(w.lower() for w in words):
            return match.group("np")
    return None


def person_of(clause: str) -> str | None:
    """Who "he" / "she" means after "Who is the CEO of Microsoft": the role, not the company; after
    "Who founded Microsoft": the founder of Microsoft."""
    match = re.match(r"^who\s+(?:is|was)\s+(?P<np>the\s+.+?)[?.!]?$", clause, re.I)
    if match:
        return match.group("np")
    match = re.match(r"^who\s+(?P<verb>[a-z]+)\s+(?P<np>.+?)[?.!]?$", clause, re.I)
    if match and (agent := _AGENT_NOUNS.get(match.group("verb").lower())):
        return f"the {agent} of {match.group('np')}"
    return None


def _leading_proper_noun(words: list[str]) -> str | None:
    """A sentence-initial subject ("Tesla makes cars."), which the capitalisation rule cannot tell
    from "The" or "What": a first word the bundled POS tagger reads as a noun, followed by a verb."""
    if len(words) < 2 or not words[0][:1].isupper():
        return None
    first = words[0].strip(",;.")
    first_tag, next_tag = pos_tags([first, words[1].strip(",;.")])
    return first if first_tag in ("NOUN", "PROPN") and next_tag in ("VERB", "AUX") else None


def plural_referent(clause: str) -> str | None:
    """What "they" / "them" / "their" in a later clause most likely means: a plural subject after
    the clause's opening auxiliary, else the last plural-looking noun of ``clause`` ("What do lions
    eat" -> "lions"), by the bundled POS tagger."""
    if (opening := _AUX_SUBJECT.match(clause)) is not None:  # "Can dogs eat grapes": the dogs, not the grapes
        return opening.group("np")
    words = [w.strip(",;") for w in clause.rstrip("?.!").split()]
    tags = pos_tags(words)
    plural = [
        i
        for i, (word, tag) in enumerate(zip(words, tags, strict=True))
        if tag in ("NOUN", "PROPN") and looks_plural(word) and (word.islower() or words[i - 1 : i] == ["the"])
    ]  # "Texas" is no plural; "the Beatles" is
    if not plural:
        return None
    last = plural[-1]
    start = last
    # modifiers: "solar panels" (not a plural-looking word, which the tagger may misread: "causes")
    while start > 0 and _modifier(words[start - 1], tags[start - 1]) and not words[start - 1].lower().endswith("s"):
        if start > 1 and words[start - 2] in _DOERS:  # "How do I plant tomatoes": "plant" is the verb
            break
        start -= 1
    if start > 0 and words[start - 1].lower() in ("the", "these", "those"):
        start -= 1
    return " ".join(words[start : last + 1])


def _modifier(word: str, tag: str) -> bool:
    """A noun or adjective before a noun ("solar panels"; "tulip bulbs", whose "tulip" the tagger calls a name)."""
    return tag in ("NOUN", "ADJ") or (tag == "PROPN" and word.islower())


def _of_gender(referent: str | None, gender: str) -> str | None:
    """ "Cleopatra's father" for "he", but "Cleopatra" for "she": an owner whose relative's gender
    is not the pronoun's."""
    owner = None if referent is None else _GENDERED_OWNER.match(referent)
    if owner is None or _GENDER[owner.group("noun").lower()] == gender:
        return referent
    return owner.group("owner")


def resolve_pronouns(clause: str, subject: str | None, plural: str | None = None, person: str | None = None) -> str:
    """Pronouns replaced: plural ones by ``plural`` (else ``subject``), personal ones by ``person``
    (else ``subject``), the others by ``subject``. A closing possessive phrase reads "the N of X"
    ("what is its capital" -> "what is the capital of France"), another one "X's"."""

    def referent(word: str) -> str | None:
        if word in _PLURAL_PRONOUNS:
            if plural is None and _THERE.search(clause):  # "what currency do they use there": its people
                return None
            return plural or subject
        if word in ("it", "its") and subject is not None and subject == plural:
            return None  # "Why do cats purr and how do they do it?": "it" is not the cats
        if word == "it" and subject is not None and (of := _PLURAL_OF.match(subject)) is not None:
            return of.group("x")  # "What are the symptoms of flu and how is it treated?": flu
        if word not in _PERSONAL_PRONOUNS:
            return subject
        return _of_gender(person or subject, "female" if word in ("she", "her") else "male")

    closing = re.search(
        rf"\b(?!{_OBJECT_HER})(?P<pronoun>its|his|her|their)\s+(?P<np>\w+(?:\s+\w+){{0,3}})(?P<end>[?.!]?)$",
        clause,
        re.I,
    )
    if closing and (target := referent(closing.group("pronoun").lower())) is not None:
        if closing.group("pronoun").lower() == "its" and " of " in target:  # "the boiling point of water ... its"
            target = target[target.rindex(" of ") + 4 :]
        np = closing.group("np")
        owned = f"{target}'s {np}" if _SPEAKERS.match(target) else f"the {np} of {target}"  # "my car's tires"
        clause = f"{clause[: closing.start()]}{owned}{closing.group('end')}"

    def replace(match: re.Match) -> str:
        word = match.group("pronoun").lower()
        if word == "it" and _EXPLETIVE_IT.match(clause, match.end()) and not _TAKES_WHAT.match(clause):
            return match.group(0)
        if word == "it" and _is_the_action(clause, match):  # "how often to do it", not "does it last"
            return match.group(0)
        if (target := referent(word)) is None:
            return match.group(0)
        if match.group("contracted"):  # "what it's used for": what a roux is used for
            return f"{target} {'has' if _PERFECT.match(clause, match.end()) else 'is'}"
        if word not in _POSSESSIVES:
            return target
        return f"{target}'" if word == "their" and target.endswith("s") else f"{target}'s"  # "the vaccines'"

    pronoun = rf"\b(?P<pronoun>it|he|she|they|him|them|its|his|their|{_OBJECT_HER})\b(?P<contracted>'s\b)?"
    clause = re.sub(pronoun, replace, clause, flags=re.I)
    if _INDEFINITE.match(referent("they") or ""):  # "how much do they earn" of "a paralegal": "does"
        clause = re.sub(r"\b(do|are|were|have)\s+(?=an?\s)", lambda m: f"{SINGULAR_VERB[m.group(1).lower()]} ", clause)
    return clause


def _is_the_action(clause: str, it: re.Match) -> bool:
    """ "do it", "do it at home": "it" is what is done, with no referent; "does it last" asks of one."""
    return bool(_AFTER_DO.search(clause, 0, it.start()) and _DONE_END.match(clause, it.end()))


def mentions_plural_pronoun(clauses: list[str]) -> bool:
    return any(_PLURAL_PRONOUN.search(clause) for clause in clauses)


def indefinite(clause: str) -> str | None:
    """ "What is a Roth IRA", "Where can I buy a used car": the "a N" a later "one" stands for."""
    for pattern in (_COPULA_NP, _DOER_OBJECT):
        if (match := pattern.match(clause.rstrip("?.!"))) is not None and _INDEFINITE.match(match.group("np")):
            return match.group("np")
    words = [w.strip(",;") for w in clause.rstrip("?.!").split()]
    if (start := next((i for i, w in enumerate(words) if w.lower() in ("a", "an")), None)) is None:
        return None  # "Is a Roth IRA worth it": the first "a N" of the clause, to its last noun
    end = noun_phrase_end(pos_tags(words), start)
    return " ".join(words[start:end]) if end is not None else None
