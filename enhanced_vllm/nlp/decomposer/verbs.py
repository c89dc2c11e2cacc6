"""Coordinated verbs sharing one object ("How do I install and configure nginx?") and verb phrases
with objects of their own ("How do I install Python and set up a virtual environment?")."""

from __future__ import annotations

import re

from enhanced_vllm.nlp.decomposer.lexicon import AUXILIARIES, CONJ
from enhanced_vllm.nlp.decomposer.words import can_be_verb, finish, pos_tags

_PARTICLE = r"(?:\s+(?:up|down|out|in|off|back|over))?"  # phrasal verbs: "set up", "back up"
_VERB = rf"[a-z]+{_PARTICLE}"
_DOER = r"(?P<prefix>.*?\b(?:I|you|we|one|to|can|should)|[Ww]ho)"  # "Who wrote and directed Parasite?"
_VERB_COORDINATION = re.compile(
    rf"^{_DOER}\s+(?P<verbs>{_VERB}(?:\s+for)?(?:\s*,\s*{_VERB})*\s*,?\s+(?P<conj>{CONJ}|or)\s+{_VERB})\s+(?P<object>.+)$"
)
_VERB_SEPARATOR = re.compile(rf"\s*,\s*(?:(?:{CONJ}|or)\s+)?|\s+(?:{CONJ}|or)\s+", re.I)
# "Where can I buy or rent a tuxedo?" asks two things; "Is it better to rent or buy?", "Should I ..." one choice
_ALTERNATIVES_ASKED = re.compile(r"^(?:where|how|when)\b(?!.*\b(?:better|worse|rather|whether|cheaper)\b)", re.I)
# "How do I install Docker and configure it?": the second verb's pronoun is the first verb's object
_VERB_PHRASES = re.compile(  # "back up my phone, wipe it, and sell it": a list, each later verb on "it"
    rf"^{_DOER}\s+(?P<first>{_VERB})\s+(?P<object>[^,]+?)(?P<middle>(?:\s*,\s*{_VERB}\s+(?:it|them))*)\s*,?\s+"
    rf"(?:and then|and also|and|then)\s+"
    rf"(?P<second>{_VERB})\s+(?:it|them)(?P<tail>\s+(?:to|into|from|on|in|with|for)\s+[^,]+)?$"  # "add it to PATH"
)
_MIDDLE_VERB = re.compile(rf"\s*,\s*(?P<verb>{_VERB})\s+(?:it|them)")
_SETTING = re.compile(r"^(?P<thing>.+?)(?P<setting>\s+(?:on|in|with|for|at)\s+.+)$")  # "Python on Windows"
_GERUND = r"[a-z]{2,}ing"
_GERUND_LIST = re.compile(  # "At what age do babies start crawling, walking and talking?": one question each
    rf"^(?P<prefix>.*?[a-z]\s+)(?P<gerunds>{_GERUND}(?:\s*,\s*{_GERUND})*\s*,?\s+and\s+{_GERUND})"
    r"(?P<rest>\s+[^,]+)?$"
)
_SETTING_PREPOSITIONS = frozenset("in on at during after before near with without for".split())
_NOT_VERBS = frozenset("the a an of in on for to with my your our its their".split())
_DOER_OPENING = re.compile(  # "(In Git,) how do I", "What's the best way to"
    r"^(?P<prefix>(?:(?:in|on|with|using|for)\s+[^,]+,\s+)?(?:how|what|where|when|why)\s+(?:do|does|can|could|should|would|will|did)\s+(?:I|you|we|one)"
    r"|what(?:\s+is|'s)\s+the\s+(?:best|easiest|fastest|quickest|right|safest)\s+way\s+to)\s+(?P<rest>.+)$",
    re.I,
)
_CLOSING_VERBS = re.compile(  # "When did World War I start and end", "When was the bridge designed and built"
    r"^(?P<opening>(?i:(?:when|where|why|how)\s+(?:did|do|does|was|were|is|are|will|can|could|should)\s+\S.*?))"
    r"\s+(?P<first>[a-z]+),?\s+and\s+(?P<second>[a-z]+)"
    r"(?P<setting>\s+(?:in|on|at|during|after|before)\s+[^,]+)?$"  # "... start and end in the US"
)
_THEN_ALSO = re.compile(r"\b(and)\s+(?:then|also)\b", re.I)
_PRONOUN_OBJECT = re.compile(r"\b(?:it|them)\b", re.I)
_PREPOSITIONAL_OBJECT = re.compile(r"^(?P<preposition>for|with|about|on|to|at)\s+", re.I)
_TAKES_PREPOSITION = frozenset(  # "apply and pay for a visa": both take the "for"
    "apply pay care look wait ask search prepare plan vote register shop study train budget account deal cope"
    " talk speak write listen".split()
)


def split_verbs(sentence: str) -> list[str] | None:
    match = _VERB_COORDINATION.match(sentence)
    if not match:
        return None
    if match.group("conj").lower() == "or" and not _ALTERNATIVES_ASKED.match(sentence):
        return None
    verbs = [v for v in _VERB_SEPARATOR.split(match.group("verbs")) if v]
    if len(verbs) < 2 or any(v.lower() in _NOT_VERBS or v.lower() in AUXILIARIES for v in verbs):
        return None
    thing = match.group("object")
    bare = _PREPOSITIONAL_OBJECT.sub("", thing)  # "plant and care for tulips": "plant tulips"

    def object_of(verb: str) -> str:
        return thing if verb is verbs[-1] or verb.split()[0].lower() in _TAKES_PREPOSITION else bare

    return [finish(f"{match.group('prefix')} {verb} {object_of(verb)}") for verb in verbs]


def split_closing_verbs(sentence: str) -> list[str] | None:
    """ "When did World War I start and end?" -> one question per verb: two verbs (WordNet knows both as
    verbs; the tagger often reads them as nouns) close the clause, or come before its closing setting
    ("... start and end in the US?"), and share all that comes before."""
    if (match := _CLOSING_VERBS.match(sentence)) is None:
        return None
    verbs = [match.group("first"), match.group("second")]
    if any(v in _NOT_VERBS or v in AUXILIARIES or not can_be_verb(v) for v in verbs):
        return None
    return [finish(f"{match.group('opening')} {verb}{match.group('setting') or ''}") for verb in verbs]


def split_gerunds(sentence: str) -> list[str] | None:
    """ "At what age do babies start crawling, walking and talking?", "Where can I go hiking and camping in
    Colorado?" -> one question per "-ing" word, each with all that comes before the list and the setting
    after it; an object after it goes with the last one only ("stop snoring and grinding my teeth")."""
    if (match := _GERUND_LIST.match(sentence)) is None:
        return None
    gerunds = [g for g in _VERB_SEPARATOR.split(match.group("gerunds")) if g]
    if any(g.lower() in ("during", "including", "regarding", "concerning", "nothing", "something") for g in gerunds):
        return None
    rest = match.group("rest") or ""
    shared = not rest or rest.split()[0].lower() in _SETTING_PREPOSITIONS  # "in Colorado"; "my teeth": the last's
    return [finish(f"{match.group('prefix')}{g}{rest if shared or g is gerunds[-1] else ''}") for g in gerunds]


def split_verb_phrases(sentence: str) -> list[str] | None:
    if (match := _VERB_PHRASES.match(sentence)) is None or match.group("second").lower() in _NOT_VERBS:
        return None
    prefix, thing, tail = match.group("prefix"), match.group("object"), match.group("tail")
    if tail is None:
        middle = [m.group("verb") for m in _MIDDLE_VERB.finditer(match.group("middle"))]
        return [finish(f"{prefix} {verb} {thing}") for verb in [match.group("first"), *middle, match.group("second")]]
    setting = _SETTING.match(thing)  # "install Python on Windows, add it to PATH": "add Python to PATH on Windows"
    second = f"{setting.group('thing')}{tail}{setting.group('setting')}" if setting else f"{thing}{tail}"
    return [finish(f"{prefix} {match.group('first')} {thing}"), finish(f"{prefix} {match.group('second')} {second}")]


def _starts_verb_phrase(words: list[str], tags: list[str], i: int) -> bool:
    """Word i opens a verb phrase: the tagger says so, or it can be a verb (WordNet) and is followed by
    what opens its object ("apply for a card", "practice speaking"); the tagger reads some as nouns."""
    if tags[i] == "VERB":
        return True
    if tags[i] != "NOUN" or i + 1 >= len(words) or tags[i + 1] not in ("ADP", "DET", "PRON", "PROPN", "VERB"):
        return False
    return can_be_verb(words[i])


def split_verb_phrase_list(sentence: str) -> list[str] | None:
    """ "How do I install Python and set up a virtual environment?": verb phrases with objects of
    their own, each asked with the shared opening (a later pronoun is left to ``split_verb_phrases``)."""
    match = _DOER_OPENING.match(sentence)
    if match is None:
        return None
    words = _THEN_ALSO.sub(r"\1", match.group("rest")).split()  # "and then add", "and also delete"
    conjunctions = [i for i, word in enumerate(words) if word.lower() == "and"]
    if len(conjunctions) != 1 or _PRONOUN_OBJECT.search(match.group("rest")):
        return None
    opening = match.group("prefix").split()  # tagged with the opening: "I clear" is a verb, not "clear" alone
    tags = pos_tags([w.strip(",") for w in [*opening, *words]])[len(opening) :]
    at = conjunctions[0]
    if not 1 < at < len(words) - 1 or not words[at + 1].islower():
        return None
    # "reset my router, change the Wi-Fi password, and update the firmware": each comma opens a verb phrase
    starts = [0, *(i + 1 for i in range(at - 1) if words[i].endswith(",") and words[i + 1].islower()), at + 1]
    if not all(_starts_verb_phrase(words, tags, i) for i in starts):
        return None
    ends = [*starts[1:-1], at, len(words)]
    phrases = [" ".join(words[a:b]).rstrip(",") for a, b in zip(starts, ends, strict=True)]
    return [finish(f"{match.group('prefix')} {phrase}") for phrase in phrases]
