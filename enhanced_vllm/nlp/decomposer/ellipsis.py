"""A later clause or sentence completed from the first one: bare "and why?", "what about X?", "which
have ...", "one", "any", "there", "tickets", and a place the scene was set in."""

from __future__ import annotations

import re

from enhanced_vllm.nlp.decomposer.direct import asked_directly
from enhanced_vllm.nlp.decomposer.lexicon import AUXILIARIES, MODALS, NP_TAGS, REQUEST_FRAME
from enhanced_vllm.nlp.decomposer.referents import indefinite
from enhanced_vllm.nlp.decomposer.words import finish, noun_phrase_end, noun_phrase_spans, participle_of, pos_tags

_BARE_WH_REPLACES = re.compile(  # the first clause's own wh-phrase
    r"^(?:how\s+(?:long|much|many|often|far|old|big)|why|how|where|when)\b", re.I
)
_WH_NOUN_OPENING = re.compile(  # "What temperature should ...": a wh-word and its noun, then the auxiliary
    r"^(?:what|which)\s+[a-z]+\s+(?P<rest>(?:should|can|do|does|did|will|would|could)\s+.+)$", re.I
)
_STRANDED = re.compile(r"\s+(?:at|to|in|on|with|from)$", re.I)  # "... roast a chicken at": the wh-word's
_FRAGMENT_PREPOSITIONS = frozenset("in on at during for near under without with before after from of".split())
_PP_FRAGMENT = re.compile(rf"^(?:{'|'.join(_FRAGMENT_PREPOSITIONS)})\s+(?!(?:which|what|whom)\b)[^,;]+$", re.I)
_NAME_FRAGMENT = re.compile(  # "And Germany?", not "Does Go?"
    r"^(?!(?:Is|Are|Was|Were|Do|Does|Did|Can|Could|Will|Would|Should|Has|Have)\b)(?P<entity>(?:the\s+)?[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*){0,3})$"
)
_NP_FRAGMENT = re.compile(r"^(?:a|an|the)\s+[\w'-]+(?:\s+[\w'-]+){0,3}$", re.I)  # "a panda", "the 1996 ones"
_WH_WORDS = frozenset("what which who whom whose when where why how".split())
_TRAILING_FRAGMENT = re.compile(r"^(?P<first>.+?)\s*,\s*(?:and|or)\s+(?P<np>(?:a|an|the)\s+[^,]+)$", re.I)
_ASKED_WHETHER = re.compile(rf"^{REQUEST_FRAME}\s+(?=(?:whether|if)\b)", re.I)
_IF_SO = re.compile(r"^if\s+so\s*,?\s+(?P<rest>.+)$", re.I)  # "..., and if so, how often?"
_WHAT_ABOUT = re.compile(r"^(?:what|how)\s+about\s+(?P<entity>.+)$", re.I)  # "... and what about Peru?"
_AGENT = re.compile(r"^who\s+(?P<verb>[a-z]+)\s+(?P<np>.+)$", re.I)  # "Who founded Nike" -> "Nike was founded"
_VISIT_VERB = re.compile(r"^(?:see|stay|eat|visit|do|go|avoid|shop|park)$", re.I)
_WH_HEAD = re.compile(r"^(?P<wh>which|what)\s+(?P<head>[a-z]+)\s+(?P<verb>[a-z]+)\b", re.I)  # "Which cities have"
_OWN_SUBJECT = re.compile(r"^\s*(?:the|a|an|its|his|her|their|my|your|our)\b", re.I)
_ARTICLE = re.compile(r"^\s*(?:the|a|an)\b", re.I)
_ELIDED_WH = re.compile(r"^(?P<wh>which|what)\s+(?P<verb>[a-z]+)(?P<rest>.*)$", re.I)
_ALSO = re.compile(r"\s*,?\s+too(?=[?.!]?$)|\balso\s+", re.I)  # "does it also offer ...", "... too?": the repetition
_ONE = re.compile(  # a closing "one" ("... into one each year?", "use one instead of X"), unless "which one"
    r"\b(?P<before>\w+)\s+one"
    r"(?=(?:\s+(?:each|every|per|now|today|online|too|first|instead|for|in|at|from)\b.*)?[?.!]?$)",
    re.I,
)
_ONE_DETERMINERS = frozenset("which this that each every any another no the".split())
_TRIP_NOUNS = {  # "... Iceland and how much do flights cost?": flights to Iceland
    **dict.fromkeys("tickets ticket flights flight fares admission entry trains buses ferries".split(), "to"),
    **dict.fromkeys("hotels hotel accommodation restaurants".split(), "in"),
}
_TRIP_NOUN = re.compile(rf"\b(?P<noun>{'|'.join(_TRIP_NOUNS)})\b(?!\s+(?:to|in|for|at|from|of)\b)", re.I)
_THERE = re.compile(  # "what can I do there?" -> "in Iceland"; "how do I get there?" -> "to Machu Picchu"
    r"(?P<motion>\b(?:get|go|travel|fly|drive|walk|move|commute)\s+)?(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )"
    r"\bthere\b(?!\s+(?:is|are|was|were|be|been)\b)",
    re.I,
)
_BARE_ATTRIBUTE = re.compile(  # "... and what's the area code?": of the place or thing asked about first
    r"^(?:what|who)(?:'s|\s+(?:is|was|are|were))\s+the\s+[a-z]+(?:\s+[a-z]+)?$", re.I
)
_ANY = re.compile(r"\b(?P<any>any|some)(?=[?.!]?$)", re.I)  # "... and does Venus have any?"
_AUX_OPENING = re.compile(
    r"^(?P<aux>is|are|was|were|does|do|did|can|could|will|would|should|has|have)\s+(?P<rest>.+)$", re.I
)
_DO_IT = re.compile(  # "and how do I do it in Rust"
    r"^(?P<opening>.+?)\s+do\s+(?:it|that|this|the\s+same)\s+(?P<phrase>(?:in|on|with|for|at)\s+.+)$", re.I
)
_AUX = "|".join(sorted(AUXILIARIES))
_HOW_MUCH = re.compile(rf"^how\s+(?:many|much)\s+(?!(?:{_AUX})\b)(?P<noun>[a-z]+)\b", re.I)  # "how many moons"
_BARE_HOW_MUCH = re.compile(rf"^(?P<how>how\s+(?:many|much))(?=\s+(?:{_AUX})\b)", re.I)  # "how many does Saturn have"
_NOT_SUPERLATIVE = r"(?:rest|west|interest|test|forest|request|chest|guest|contest|protest|harvest|honest)\b"
_RANK = rf"first|second|third|fourth|fifth|last|next|previous|(?!{_NOT_SUPERLATIVE})[a-z]+est"
_RANKED = re.compile(rf"\bthe\s+(?:{_RANK})\s+(?P<rest>[a-z][^?.!]*)", re.I)  # "the first man on the moon"
_BARE_RANK = re.compile(rf"\bthe\s+(?:{_RANK})(?=[?.!]?$)", re.I)  # "... and who was the second?"
# "... and how long does it take?" after "the easiest way to learn Python": to learn Python
_BARE_COST = re.compile(r"^(?:how\s+(?:long|much)|what)\s+(?:does|will|would|did)\s+it\s+(?:take|cost)$", re.I)
_IT_TAKES_TO = re.compile(r"\bit\s+(?:takes?|costs?)\s+(?:\w+\s+)?to\s+[a-z]+", re.I)  # "does it take to get ..."
_INFINITIVE_PHRASE = re.compile(  # "... to learn Python", "How do I renew my passport": to renew my passport
    r"(?:\bto|^how\s+(?:do|can|should)\s+I)\s+(?P<verb>(?!be\b)[a-z]+)\s+(?P<rest>(?:[^\s,;]+\s*){1,6})$", re.I
)
_KINDRED = 0.4  # WordNet (Wu-Palmer) similarity: two drugs 0.74, two plants 0.87; "ibuprofen", "pregnancy" 0.13
_HOW_KNOW = re.compile(r"^(?P<ask>(?:how|why)\s+(?:do|does|did|can|could)\s+.+?\s+(?:know|tell))[?.!]?$", re.I)
_WH_COPULA = re.compile(  # "How old is the universe" -> "how old the universe is"
    r"^(?P<wh>how\s+\w+|what|who|where|when|why|which\s+\w+)\s+(?P<cop>is|are|was|were)\s+(?P<np>.+?)[?.!]?$", re.I
)


def bare_wh(wh: str, first: str) -> str:
    """A bare "and why?" asked of the first clause: "When did Rome fall and why?" -> "Why did Rome
    fall?"; "Who founded Nike and when?" -> "When was Nike founded?"."""
    wh = re.sub(r"^for\s+", "", wh, flags=re.I)  # "and for how long?"
    if _BARE_WH_REPLACES.match(first):
        return _BARE_WH_REPLACES.sub(wh, first, count=1)
    if (asked := _WH_NOUN_OPENING.match(first)) is not None:  # "What temperature should I roast a chicken at"
        return f"{wh} {_STRANDED.sub('', asked.group('rest'))}"
    if (match := _AGENT.match(first)) is not None and (participle := participle_of(match.group("verb"))) is not None:
        return f"{wh} was {match.group('np')} {participle}"
    return wh


def if_so(clause: str, first: str) -> str:
    """ "Is a Roth IRA taxed on withdrawal? If so, at what rate?" -> "At what rate is a Roth IRA taxed on
    withdrawal?": the follow-up's wh-phrase asked of the yes/no question before it."""
    if (match := _IF_SO.match(clause.strip())) is None:
        return clause
    first = _ASKED_WHETHER.sub("I wonder ", first.strip())  # "Can you tell me whether X is open" asks "Is X open"
    rest, asked = match.group("rest"), asked_directly(finish(first)).rstrip("?.!")
    bare = len(rest.split()) <= 4 and not any(w.lower() in MODALS for w in rest.rstrip("?.!").split())
    if not bare or asked.split()[0].lower() not in MODALS:  # "If so, how long does it take?"
        return rest
    return f"{rest.rstrip('?.!')} {asked[:1].lower()}{asked[1:]}"


def what_about(clause: str, first: str, subject: str | None) -> str:
    """ "What is the currency of India and what about Peru?": the first clause, about Peru."""
    match = _WHAT_ABOUT.match(clause.strip())
    if match is None or subject is None or subject not in first:
        return clause
    if not any(w[:1].isupper() for w in subject.split()):  # "the melting point of iron": iron, its closing noun
        return what_about_sentence(clause, first).rstrip("?.!")
    at = first.rindex(subject)
    return first[:at] + match.group("entity") + first[at + len(subject) :]


def elided(clause: str, first: str) -> str:
    """A later clause that leaves out what it shares with the first, completed from it: "Does Python
    support generics, and does Java?" -> "does Java support generics"; "How long do I boil eggs for soft
    yolks, and how long for hard yolks?" and "How do I sort a list in Go, and how do I do it in Rust?"
    -> the first with the new prepositional phrase."""
    later, words, first_words = clause.strip(), clause.split(), first.split()
    if (do := _DO_IT.match(later)) is not None and first.lower().startswith(f"{do.group('opening').lower()} "):
        return _with_phrase(first, do.group("phrase")).rstrip("?.!")
    for n in (2, 1):  # "how long for hard yolks", "where in Rome"
        opening, rest = words[:n], " ".join(words[n:])
        if [w.lower() for w in opening] == [w.lower() for w in first_words[:n]] and _PP_FRAGMENT.match(rest):
            return _with_phrase(first, rest).rstrip("?.!")
    asked, shared = _AUX_OPENING.match(later), _AUX_OPENING.match(first)
    if asked is None or shared is None or asked.group("aux").lower() != shared.group("aux").lower():
        return clause
    subject, tags = asked.group("rest").split(), pos_tags(first_words[1:])
    subject_tags = ["PROPN" if w[:1].isupper() else t for w, t in zip(subject, pos_tags(subject), strict=True)]
    if len(subject) > 4 or not set(subject_tags) <= NP_TAGS:
        return clause
    if first_words[1][:1].isupper():  # a name ends with its capitalised words ("Does Python support ...")
        tags = ["PROPN" if w[:1].isupper() else "VERB" for w in first_words[1:]]
    end = noun_phrase_end(tags, 0)
    if end is None or end == len(tags):  # the first clause's subject, then the rest it shares
        return clause
    return " ".join([asked.group("aux"), *subject, *first_words[1 + end :]])


def with_head(clause: str, first: str) -> str:
    """ "Which cities have metros and which have trams?", "Which animals hibernate and which
    migrate?": the second "which" asks of the same cities or animals (it is followed by the first
    clause's verb, an auxiliary, or a verb alone)."""
    head, elided = _WH_HEAD.match(first), _ELIDED_WH.match(clause.strip())
    if head is None or elided is None or head.group("head").lower() in AUXILIARIES:
        return clause
    verb = elided.group("verb").lower()
    owned = verb in ("has", "have", "had") and _ARTICLE.match(elided.group("rest"))  # "which has the longest day"
    if _OWN_SUBJECT.match(elided.group("rest")) and not owned:  # "... and what is its capital?": its own question
        return clause
    if verb != head.group("verb").lower() and verb not in AUXILIARIES and elided.group("rest").strip():
        return clause
    return f"{elided.group('wh')} {head.group('head')} {clause.strip()[len(elided.group('wh')) :].strip()}"


def asks_of_the_action(clause: str, first: str) -> bool:
    """ "How long does it take to get from A to B by train, and how much does it cost?": the second "it"
    is the first's empty one, so the cost is of getting from A to B (``standalone`` adds it)."""
    return bool(_BARE_COST.match(clause.strip().rstrip("?.!")) and _IT_TAKES_TO.search(first))


def standalone(later: str, first: str, subject: str | None) -> str:
    """A later clause or sentence on its own: "one" as the first one's "a N" ("... and should I open
    one?" -> "should I open a Roth IRA?"), a bare "how many" and a closing "any" as "how many N" and
    "any N" after "How many N", "the second" as the first one's "the first N", "tickets" as "tickets to
    X" after a question about the place X, "how long does it take" as taking the first one's "to V N",
    and without the "also" / "too" that tied it to the first."""
    if (thing := indefinite(first)) is not None or _modified_head(first) is not None:
        later = _ONE.sub(lambda m: _one(m, later, first, thing), later)
    later = _ALSO.sub("", later)
    if (ranked := _RANKED.search(first)) is not None and (rank := _BARE_RANK.search(later)) is not None:
        later = f"{later[: rank.end()]} {ranked.group('rest')}"  # "who was the second?": the second man on ...
    if (much := _HOW_MUCH.match(first)) is not None:  # "how many does Saturn have?", "... have any?": of moons
        later = _BARE_HOW_MUCH.sub(lambda m: f"{m.group('how')} {much.group('noun')}", later.strip())
        later = _ANY.sub(lambda m: f"{m.group('any')} {much.group('noun')}", later)
    if subject is not None and subject.split()[-1][:1].isupper() and subject not in later:
        later = _TRIP_NOUN.sub(lambda m: f"{m.group(0)} {_TRIP_NOUNS[m.group('noun').lower()]} {subject}", later, 1)
        later = _THERE.sub(lambda m: f"{m.group('motion') or ''}{'to' if m.group('motion') else 'in'} {subject}", later)
    if subject is not None and subject.split()[-1][:1].isupper() and _BARE_ATTRIBUTE.match(later.rstrip("?.!")):
        later = f"{later.rstrip('?.!')} of {subject}"
    if _BARE_COST.match(later.strip().rstrip("?.!")) and (acting := _INFINITIVE_PHRASE.search(first.rstrip("?.! "))):
        later = f"{later.strip().rstrip('?.!')} to {acting.group('verb')} {acting.group('rest')}"
    if (ask := _HOW_KNOW.match(later.strip())) is not None and (asked := _WH_COPULA.match(first.strip())):
        later = f"{ask.group('ask')} {asked.group('wh').lower()} {asked.group('np')} {asked.group('cop').lower()}?"
    return later


def _one(match: re.Match[str], later: str, first: str, thing: str | None) -> str:
    """ "open one" -> "open a Roth IRA"; "a firm one" after "a runny yolk" -> "a firm yolk"."""
    before = match.group("before")
    if before.lower() in _ONE_DETERMINERS:
        return match.group(0)
    if re.search(r"\b(?:a|an)\s+$", later[: match.start()], re.I) and (head := _modified_head(first)):
        return f"{before} {head}"
    return f"{before} {thing}" if thing is not None else match.group(0)


def _modified_head(first: str) -> str | None:
    """The noun of the first clause's "a ADJ N" ("for a runny yolk": "yolk"), which "a firm one" shares."""
    words = first.rstrip("?.!").split()
    spans = [(a, b) for a, b in _article_phrases(words) if words[a].lower() in ("a", "an") and b - a > 2]
    return words[spans[0][1] - 1] if spans else None


def _article_phrases(words: list[str]) -> list[tuple[int, int]]:
    """[start, end) of each phrase that opens with "a", "an" or "the" and runs over the modifiers and nouns
    after it ("a snake plant", "the 1992 Summer Olympics"); a clause's closing verb is not one of them
    ("What does a koala eat": "a koala")."""
    tags = pos_tags(words)
    aux = next((i for i in (1, 2) if i < len(words) and words[i].lower() in MODALS), None)
    subject_at = aux + 1 if aux is not None and words[0].lower() in _WH_WORDS else None  # "What does [a koala] eat"
    phrases = []
    for start, word in enumerate(words):
        if word.lower() not in ("a", "an", "the"):
            continue
        end = start + 1
        while end < len(words) and tags[end] in ("ADJ", "NOUN", "PROPN", "NUM"):
            end += 1
        end = max(end, min(start + 2, len(words)))  # the tagger may misread the one noun
        if start == subject_at and end == len(words) and end - start > 2:
            end -= 1
        phrases.append((start, end))
    return phrases


def parallel_fragment(text: str) -> list[str] | None:
    """ "What does a koala eat, and a panda?", "Where were the 1992 Olympics held, and the 1996 ones?":
    the question, and the question again with the fragment in place of its one noun phrase of that kind."""
    match = _TRAILING_FRAGMENT.match(text)
    if match is None or (again := _with_parallel(match.group("first"), match.group("np"))) is None:
        return None
    return [finish(match.group("first")), again]


def _with_parallel(previous: str, fragment: str) -> str | None:
    """``previous`` with ``fragment`` ("a panda", "the 1996 ones") in place of its only noun phrase that
    opens with the same kind of article; None if there is not exactly one."""
    parts = fragment.rstrip("?.!").split()
    if _NP_FRAGMENT.match(" ".join(parts)) is None:
        return None
    ones = parts[-1].lower() in ("one", "ones")
    if any(w.lower() in MODALS or w.lower() in _WH_WORDS for w in parts):
        return None
    words = previous.rstrip("?.!").split()
    kind = ("the",) if parts[0].lower() == "the" else ("a", "an")
    spans = [(a, b) for a, b in _article_phrases(words) if words[a].lower() in kind]
    if len(spans) != 1:
        return None
    start, end = spans[0]
    head = words[end - 1 : end]  # "a used car": "car"; "the 1992 Summer Olympics": "Summer Olympics"
    while head[0][:1].isupper() and end - len(head) - 1 > start and words[end - len(head) - 1][:1].isupper():
        head = words[end - len(head) - 1 : end]
    replacement = [parts[0].lower(), *parts[1:-1], *head] if ones else [parts[0].lower(), *parts[1:]]
    return finish(" ".join([*words[:start], *replacement, *words[end:]]))


def what_about_sentence(sentence: str, previous: str) -> str:
    """ "Can dogs eat grapes? What about chocolate?": the previous question about the new thing,
    which takes the place of the previous one's only name (a name) or its last noun (a common noun)."""
    fragment = sentence.rstrip("?.!").strip()
    if (pp := _PP_FRAGMENT.match(fragment)) is not None:  # "... at sea level? And on top of Everest?"
        return _with_phrase(previous, pp.group(0))
    match = _WHAT_ABOUT.match(fragment) or _NAME_FRAGMENT.match(fragment)  # "What about Germany?", "And Germany?"
    if match is None:
        return _with_parallel(previous, fragment) or sentence  # "And a fiddle leaf fig?"
    if (pp := _PP_FRAGMENT.match(match.group("entity"))) is not None:  # "What about in Texas?"
        return _with_phrase(previous, pp.group(0))
    entity, words = match.group("entity"), previous.rstrip("?.!").split()
    article = entity.lower().startswith("the ")  # "What about the Prado?" replaces "the Louvre"
    if entity.split()[-1][:1].isupper():
        names = [i for i in range(1, len(words)) if words[i][:1].isupper() and (i == 1 or words[i - 1].islower())]
        if len(names) > 1:  # "Is Norway in the EU? What about Sweden?": a bare name replaces a bare name
            names = [i for i in names if (words[i - 1].lower() == "the") == article]
        if len(names) != 1:  # "Did Obama meet Putin? What about Macron?": which one it replaces is unclear
            return sentence
        start = end = names[0]
        while end + 1 < len(words) and words[end + 1][:1].isupper():
            end += 1
        start -= article and words[start - 1].lower() == "the"
        return finish(" ".join([*words[:start], entity, *words[end + 1 :]]))
    tags = pos_tags(words)
    if len(words) > 2 and tags[-2] == "ADP":  # "the melting point of iron": a preposition's object is a noun
        tags[-1] = "NOUN"
    if (kin := _kindred(words, tags, entity)) is not None:  # "Is ibuprofen safe ...? What about X?"
        return finish(" ".join([*words[: kin[0]], entity, *words[kin[1] :]]))
    closing = [a for a, b in noun_phrase_spans(tags) if b == len(words) and words[-1].islower()]
    if not closing:  # only a closing object is replaced
        return sentence
    start = closing[0]
    while not words[start].islower():  # "the Louvre's opening hours": a name before it stays
        start += 1
    return finish(" ".join([*words[:start], entity]))


def _kindred(words: list[str], tags: list[str], entity: str) -> tuple[int, int] | None:
    """The noun phrase of ``words`` whose noun is nearest in WordNet to ``entity``'s ("ibuprofen" for
    "acetaminophen", not "pregnancy"; "cats" for "indoor cats"), when one is clearly nearest; its article
    is replaced too when ``entity`` has one of its own ("an avocado" by "a banana")."""
    from enhanced_vllm.nlp.resources import wordnet

    head, determined = entity.split()[-1], entity.split()[0].lower() in ("a", "an", "the")

    kinds = wordnet().synsets(head, pos="n")
    if not kinds:
        return None
    scored = []
    for start, end in noun_phrase_spans(tags):
        noun = words[end - 1]
        if not noun.islower():
            continue
        same = noun.lower() == head.lower()
        others = wordnet().synsets(noun, pos="n")
        similarity = 1.0 if same else max((k.wup_similarity(o) or 0.0 for k in kinds for o in others), default=0.0)
        verb = start > 0 and words[start - 1] in ("to", "I", "you", "we") and end - start > 1  # "to plant garlic"
        start += (tags[start] == "DET" and not same and not determined) or verb
        scored.append((similarity, start, end))
    scored.sort(reverse=True)
    if not scored or scored[0][0] < _KINDRED or (len(scored) > 1 and scored[1][0] >= scored[0][0] * 0.8):
        return None
    return scored[0][1], scored[0][2]


def _with_phrase(previous: str, phrase: str) -> str:
    """The previous question with ``phrase`` in place of its last prepositional phrase (or added)."""
    words = previous.rstrip("?.!").split()
    at = next((i for i in range(len(words) - 1, 1, -1) if words[i].lower() in _FRAGMENT_PREPOSITIONS), len(words))
    return finish(" ".join([*words[:at], phrase[:1].lower() + phrase[1:]]))


def in_place(question: str, place: str | None) -> str:
    """ "I'm visiting Rome. What should I see?" -> "What should I see in Rome?": a question that ends
    on a verb of visiting and names no place is asked of the place the scene was set in."""
    words = question.rstrip("?.!").split()
    if place is None or not _VISIT_VERB.match(words[-1]) or any(w[:1].isupper() and w != "I" for w in words[1:]):
        return question
    return finish(f"{question.rstrip('?.!')} in {place}")
