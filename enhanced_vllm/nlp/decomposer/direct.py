"""A question the asker embedded in a statement about themselves, asked directly once it is split out:
"I was wondering how long a passport renewal takes and how much it costs." -> "How long does a passport
renewal take?" and "How much does a passport renewal cost?"; "whether it's easy" -> "Is it easy?", "how
to make a mojito" -> "How do I make a mojito?", "the average rent in Lisbon" -> "What is the average rent
in Lisbon?". A request to the listener ("Can you tell me ...") keeps its frame."""

from __future__ import annotations

import re

from enhanced_vllm.nlp.decomposer.lexicon import FIRST_PERSON_FRAME, MODALS
from enhanced_vllm.nlp.decomposer.words import copula, noun_phrase_end, pos_tags

_FRAMED = re.compile(rf"^{FIRST_PERSON_FRAME}\s+(?P<rest>.+?)\s*[?.!]?$", re.I)
_INFINITIVE = re.compile(
    r"^(?P<wh>how(?:\s+(?:much|many|long|often|far))?|what|where|when|which \w+)\s+to\s+(?P<vp>.+)$", re.I
)
_YES_NO = re.compile(r"^(?:whether|if)\s+(?P<clause>.+)$", re.I)
_WH = re.compile(
    r"^(?P<wh>how(?:\s+(?:much|many|long|old|far|big|often|soon|well))?|why|when|where|what|who|which|whose)\s+"
    r"(?P<clause>.+)$",
    re.I,
)
_CONTRACTED = (  # "it's" -> "it is": the verb an embedded clause moves to the front
    {f"{w}'s": f"{w} is" for w in ("it", "that", "there", "he", "she")}
    | {f"{w}'re": f"{w} are" for w in ("they", "we", "you")}
    | {"i'm": "I am"}
)
_QUANTIFYING = frozenset({"how much", "how many", "what", "which", "whose"})  # "how much water a cactus needs"


def asked_directly(question: str) -> str:
    """``question`` as a direct question if it embeds one in a first-person frame, else unchanged."""
    match = _FRAMED.match(question.strip())
    if match is None:
        return question
    rest = " ".join(_CONTRACTED.get(word.lower(), word) for word in match.group("rest").split())
    direct = _infinitive(rest) or _yes_no(rest) or _wh(rest) or _noun_phrase(rest)
    return f"{direct[:1].upper()}{direct[1:]}?" if direct else question


def _infinitive(rest: str) -> str | None:
    """ "how to make a mojito" -> "how do I make a mojito"; "what to pack" -> "what should I pack"."""
    if (match := _INFINITIVE.match(rest)) is None:
        return None
    helper = "do" if match.group("wh").lower() == "how" else "should"
    return f"{match.group('wh')} {helper} I {match.group('vp')}"


def _yes_no(rest: str) -> str | None:
    """ "whether it is easy to get a visa" -> "is it easy to get a visa"."""
    return _inverted(match.group("clause").split()) if (match := _YES_NO.match(rest)) else None


def _wh(rest: str) -> str | None:
    """ "how long a passport renewal takes" -> "how long does a passport renewal take"; "who invented
    the telephone" stays as it is (the wh-word is the subject)."""
    if (match := _WH.match(rest)) is None:
        return None
    wh, words = match.group("wh"), match.group("clause").split()
    tags = pos_tags(words)
    if wh.lower() in _QUANTIFYING:  # "what time" the museum opens, "how many moons" Jupiter has
        end = next((i for i, tag in enumerate(tags) if tag not in ("NOUN", "ADJ")), len(tags))
        wh, words, tags = " ".join([wh, *words[:end]]), words[end:], tags[end:]
    if not words or tags[0] == "VERB" or words[0].lower() in MODALS:
        return f"{wh} {' '.join(words)}".strip()  # "who invented the telephone", "how many people live"
    inverted = _inverted(words)
    return f"{wh} {inverted}" if inverted else None


def _noun_phrase(rest: str) -> str | None:
    """ "the average rent in Lisbon" -> "what is the average rent in Lisbon"."""
    words = rest.split()
    tags = pos_tags(words)
    if noun_phrase_end(tags, 0) is None or any(word.lower() in MODALS for word in words):
        return None
    head = re.split(r"\s+(?:of|in|for|at|on|from|to|with)\s+", rest, maxsplit=1)[0]
    return f"what {copula(head, past=False)} {rest}"


def _inverted(words: list[str]) -> str | None:
    """A declarative clause as a question: its auxiliary before its subject ("it is easy" -> "is it
    easy"), or "do" / "does" before a present-tense verb ("it costs" -> "does it cost"); None for a
    past-tense verb without an auxiliary (its base form is not known here)."""
    if len(words) > 1 and words[-1].lower() in MODALS:  # "where the station is" -> "where is the station"
        return " ".join([words[-1].lower(), *words[:-1]])
    tags = pos_tags(words)
    start = noun_phrase_end(tags, 0) or 1  # the subject: "a passport renewal", "it"
    if start == len(words):  # "vaccines work": the tagger read the verb as a noun
        start, tags = start - 1, [*tags[:-1], "VERB"]
    for i in range(start, len(words)):
        word, tag = words[i], tags[i]
        if word.lower() in MODALS:
            return " ".join([word.lower(), *words[:i], *words[i + 1 :]])
        if tag in ("VERB", "AUX"):  # "get" is tagged AUX
            verb = word.lower()
            if verb.endswith("ed") and not verb.endswith("eed"):  # "happened" (not "need")
                return None
            helper, base = ("does", _base(verb)) if verb.endswith("s") and not verb.endswith("ss") else ("do", verb)
            return " ".join([helper, *words[:i], base, *words[i + 1 :]])
    return None


def _base(verb: str) -> str:
    """ "takes" -> "take", "watches" -> "watch", "flies" -> "fly", "has" -> "have", "does" -> "do"."""
    irregular = {"has": "have", "does": "do", "goes": "go"}
    if verb in irregular:
        return irregular[verb]
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if verb.endswith(("ches", "shes", "sses", "xes", "zes", "oes")):
        return verb[:-2]
    return verb[:-1]
