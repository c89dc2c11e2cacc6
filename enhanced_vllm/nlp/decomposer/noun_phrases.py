"""Coordinated noun phrases after a copula or a request: attributes sharing an entity ("the capital and
the population of France"), entities sharing an attribute ("the GDP of Brazil, Peru and Chile"),
"some X in P and some Y", and a repeated preposition ("in air and in water", "at sea level and on Everest")."""

from __future__ import annotations

import re

from enhanced_vllm.nlp.decomposer.lexicon import ACRONYM, CONJ, REQUEST_FRAME
from enhanced_vllm.nlp.decomposer.words import copula, finish, looks_plural, singular_noun

_LIST_SEPARATOR = re.compile(rf"\s*,\s*(?:{CONJ}\s+)?|\s+{CONJ}\s+", re.I)
_NP_PREFIX = re.compile(
    rf"^(?:(?P<frame>{REQUEST_FRAME})\s+)?(?P<wh>what|who|which)(?:\s+(?P<cop>is|are|was|were)|(?P<contracted>'s))"
    r"\s+(?P<body>.+)$"
    r"|^(?P<verb>compare|tell me|give me|list|name|show me|find|explain|describe)\s+(?P<body2>.+)$",
    re.I,
)
_PAIRED_MODIFIERS = frozenset(
    "birth death start end arrival departure minimum maximum entry exit high low early late upper lower".split()
)
_BAND = re.compile(r"[A-Z]\w*(?:,\s+[A-Z]\w*)+,?\s+&\s+[A-Z]\w*")  # "Crosby, Stills & Nash"
_ARTICLE = re.compile(r"^(?:the|a|an)\s", re.I)
_DETERMINER = re.compile(r"^(?:the|a|an|its|their|his|her|this|that|these|those|my|your|our)\b", re.I)
_LEADING_POSSESSIVE = re.compile(r"^(?:its|his|her)\s+", re.I)  # "their" may point back to a plural head
_ANY_POSSESSIVE = re.compile(r"^(?:its|his|her|their)\s+", re.I)
_OWN_PREPOSITION = re.compile(r"\s(?:from|to|between|with|in|on|at)\s", re.I)  # a noun phrase with its own "from ..."
_OWNER = re.compile(r"^(?P<owner>(?:the\s+)?[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)*'s)\s")  # "George Washington's"
_QUANTIFIED = re.compile(  # "Are there any hiking trails near Denver and any campsites (too)?"
    r"^(?P<prefix>.+?)\b(?P<det>any|some)\s+(?P<first>[^,]+?)\s+(?P<place>(?:in|near|around|on|at)\s+[^,]+?)"
    r"\s*,?\s+and\s+(?P=det)\s+(?P<second>[^,]+?)(?:\s+too|\s+as well)?$",
    re.I,
)
_ANOTHER_PLACE = re.compile(
    r"^(?P<prefix>.+?\b)(?P<thing>an?\s+[^,]+?)\s+(?P<first>(?:in|near|at)\s+[^,]+?)\s*,?\s+and\s+one\s+"
    r"(?P<second>(?:in|near|at)\s+[^,]+)$",
    re.I,
)
_REPEATED_PREPOSITION = re.compile(  # "What is the speed of sound in air and in water?"
    r"^(?P<prefix>.+\s(?P<prep>in|on|at|of|for|with|from|to|about|during|under|without))\s+"
    r"(?P<first>(?:(?!\b(?P=prep)\b)[^,])+?),?\s+and\s+(?P=prep)\s+(?P<second>[^,]+)$",
    re.I,
)
_SETTING = r"(?:in|on|at|near|during|under|before|after)\s+"  # where or when
_TWO_SETTINGS = re.compile(  # "What is the boiling point of water at sea level and on Everest?"
    rf"^(?P<prefix>.+)\s+(?P<first>{_SETTING}[^,]+?),?\s+and\s+(?P<second>{_SETTING}[^,]+)$", re.I
)
_ONE_EACH = frozenset(  # attributes a place, company or person has one of: "the capitals of X and Y" asks one each
    "capital population currency area flag anthem president ceo founder leader mayor height age birthday birthplace"
    " gdp motto point zone date symbol length weight diameter speed depth temperature".split()
)


def _entity_tail(phrase: str) -> re.Match | None:
    """A trailing "of <Proper Name>" (e.g. "... of New Zealand")."""
    return re.search(r"\s+of\s+(?:the\s+)?[A-Z][\w.'-]*(?:\s+(?:of\s+(?:the\s+)?)?[A-Z][\w.'-]*)*$", phrase)


def _shared_head(conjuncts: list[str]) -> list[str] | None:
    """ "the boiling and melting points of X", "the birth and death dates of X": modifiers of one plural
    head, each asked with it singular."""
    at = conjuncts[-1].find(" of ")
    core, tail = (conjuncts[-1][:at], conjuncts[-1][at:]) if at > 0 else (conjuncts[-1], "")
    words = core.split()
    modifiers = [c.split()[1:] for c in conjuncts[:-1]] + [words[1:2]]
    if len(words) != 3 or not _DETERMINER.match(core) or not looks_plural(words[2]):
        return None
    pairs = zip(modifiers, conjuncts, strict=True)
    if not all(len(m) == 1 and _modifier(m[0]) and _DETERMINER.match(c) for m, c in pairs):
        return None
    head = singular_noun(words[2])
    return [f"{c} {head}{tail}" for c in conjuncts[:-1]] + [f"{words[0]} {words[1]} {head}{tail}"]


def _modifier(word: str) -> bool:
    return word.lower().endswith("ing") or word.lower() in _PAIRED_MODIFIERS


def _noun_phrases(conjuncts: list[str]) -> list[str] | None:
    """Complete each conjunct: share a trailing "of X" (attributes) or a leading "the A of" (entities)."""
    if (shared := _shared_head(conjuncts)) is not None:
        return shared
    owned = _LEADING_POSSESSIVE if copula(conjuncts[0], past=False) == "are" else _ANY_POSSESSIVE
    later_possessive = all(owned.match(c) for c in conjuncts[1:])  # "their" too after a singular head: a team's
    if later_possessive and (owner := _OWNER.match(conjuncts[0])):  # "Scotland's national animal as well as its ..."
        return [conjuncts[0]] + [owned.sub(f"{owner.group('owner')} ", c) for c in conjuncts[1:]]
    if later_possessive and " of " in conjuncts[0]:  # "the boiling point of water along with its freezing point"
        tail = conjuncts[0][conjuncts[0].rindex(" of ") :]
        owner = tail.removeprefix(" of ")
        return (
            [conjuncts[0]]
            + [  # "its distance from the Sun": "Jupiter's distance from the Sun"
                owned.sub(f"{owner}'s ", c) if _OWN_PREPOSITION.search(c) else owned.sub("the ", c) + tail
                for c in conjuncts[1:]
            ]
        )
    tails = [_entity_tail(c) for c in conjuncts]
    if tails[-1] and not any(tails[:-1]):  # "the capital, the currency and the GDP of Mexico"
        if not all(_DETERMINER.match(c) for c in conjuncts[:-1]) and not _DETERMINER.match(conjuncts[-1]):
            return None
        tail = conjuncts[-1][tails[-1].start() :]
        return [c + tail for c in conjuncts[:-1]] + [conjuncts[-1]]
    if tails[0] and all(_is_name(c) and " of " not in c for c in conjuncts[1:]):  # "the GDP of X, Y and Z"
        head = one_each(conjuncts[0][: tails[0].start()])
        return [f"{head}{conjuncts[0][tails[0].start() :]}"] + [f"{head} of {c}" for c in conjuncts[1:]]
    if tails[0] and all(c.startswith("of ") for c in conjuncts[1:]):  # "the capital of X and of Y"
        head = conjuncts[0][: tails[0].start()]
        return [conjuncts[0]] + [f"{head} {c}" for c in conjuncts[1:]]
    if tails[0] and all(_ARTICLE.match(c) and " of " not in c for c in conjuncts[1:]):  # "the area of X and the GDP"
        tail = conjuncts[0][tails[0].start() :]
        return [conjuncts[0]] + [c + tail for c in conjuncts[1:]]
    if all(tails):  # "the GDP of India as well as the area of Peru"
        return conjuncts
    if " of " in conjuncts[-1] and not any(" of " in c for c in conjuncts[:-1]) and _DETERMINER.match(conjuncts[0]):
        tail = conjuncts[-1][conjuncts[-1].rindex(" of ") :]  # "the causes and effects of inflation"
        return [c + tail for c in conjuncts[:-1]] + [conjuncts[-1]]
    return None


def _is_name(phrase: str) -> bool:
    """ "Peru", "the Netherlands"."""
    if _ARTICLE.match(phrase) is None:
        return phrase[:1].isupper()
    return phrase.split()[1][:1].isupper() and not ACRONYM.match(phrase.split()[1])


def one_each(head: str) -> str:
    """ "the capitals" -> "the capital": asked of one entity, an attribute it has one of is singular."""
    if not (words := head.split()):
        return head
    singular = singular_noun(words[-1])
    return " ".join([*words[:-1], singular]) if singular != words[-1] and singular.lower() in _ONE_EACH else head


def _attributes_by_entities(body: str) -> list[str] | None:
    """ "the area and GDP of Mexico and Peru": every attribute of every entity, attribute by attribute."""
    for at in reversed([m.start() for m in re.finditer(r"\s+of\s+", body)]):
        attributes, entities = body[:at], re.sub(r"^\s+of\s+", "", body[at:])
        entity_list = [e for e in _LIST_SEPARATOR.split(entities) if e]
        attribute_list = [a for a in _LIST_SEPARATOR.split(attributes) if a]
        if len(entity_list) < 2 or not all(e[:1].isupper() for e in entity_list):
            continue
        if len(attribute_list) < 2 or not (determiner := _DETERMINER.match(attribute_list[0])):
            return None
        attribute_list = [a if _DETERMINER.match(a) else f"{determiner.group(0)} {a}" for a in attribute_list]
        return [f"{attribute} of {entity}" for attribute in attribute_list for entity in entity_list]
    return None


def _is_band(body: str) -> bool:
    """ "Earth, Wind & Fire": capitalised common nouns listed with "&" name one band or firm (not "Peru,
    Chile & Brazil": WordNet knows Peru only as an instance, a place)."""
    if (band := _BAND.search(body)) is None:
        return False
    from enhanced_vllm.nlp.resources import wordnet

    def common(word: str) -> bool:
        return any(not s.instance_hypernyms() for s in wordnet().synsets(word.lower(), pos="n"))

    return all(common(w) for w in re.findall(r"\w+", band.group(0)))


def split_noun_phrases(sentence: str) -> list[str] | None:
    match = _NP_PREFIX.match(sentence)
    if not match:
        return None
    body = match.group("body") or match.group("body2")
    if _is_band(body):
        return None
    if (match.group("verb") or "").lower() == "compare":  # "Compare the area of X with Y"
        body = re.sub(r"\s+(?:with|to|against)\s+", " and ", body, count=1)
    if (phrases := _attributes_by_entities(body)) is not None:
        return _asked_as(match, phrases)
    conjuncts = [c for c in _LIST_SEPARATOR.split(body) if c]
    if len(conjuncts) < 2:
        return None
    determiner = _DETERMINER.match(conjuncts[0])
    if determiner:  # "the capital and currency of X": the second conjunct shares "the"
        conjuncts = [
            c if _DETERMINER.match(c) or c[:1].isupper() or c.startswith("of ") else f"{determiner.group(0)} {c}"
            for c in conjuncts
        ]
    phrases = _noun_phrases(conjuncts)
    return None if phrases is None else _asked_as(match, phrases)


def _asked_as(match: re.Match, phrases: list[str]) -> list[str]:
    """Each noun phrase asked as the sentence asked (its wh-word, "What's", the copula's tense)."""
    wh = (match.group("wh") or "What").capitalize()
    if match.group("frame"):  # "Can you tell me what is the GDP of India and Peru?"
        wh = f"{match.group('frame')} {wh.lower()}"
    if match.group("contracted"):  # "What's the capital of X and Y?" keeps its "What's"
        return [finish(f"{wh}'s {phrase}") for phrase in phrases]
    past = (match.group("cop") or "").lower() in ("was", "were")
    return [finish(f"{wh} {copula(phrase, past)} {phrase}") for phrase in phrases]


def split_quantified(sentence: str) -> list[str] | None:
    """ "Could you recommend some bakeries in Paris and some cafés?": the place goes with both; "a
    good Thai restaurant in Boston and one in Chicago": the thing goes with both places."""
    if (match := _ANOTHER_PLACE.match(sentence)) is not None:
        prefix, thing = match.group("prefix"), match.group("thing")
        return [finish(f"{prefix}{thing} {match.group(place)}") for place in ("first", "second")]
    if (match := _QUANTIFIED.match(sentence)) is None or len(match.group("second").split()) > 2:
        return None
    prefix, det, place = match.group("prefix"), match.group("det"), match.group("place")
    return [finish(f"{prefix}{det} {match.group(part)} {place}") for part in ("first", "second")]


def split_repeated_preposition(sentence: str) -> list[str] | None:
    """ "What is the price of gold in London and in Dubai?" -> one question per prepositional object;
    also two settings after different prepositions ("at sea level and on Everest")."""
    if (match := _REPEATED_PREPOSITION.match(sentence) or _TWO_SETTINGS.match(sentence)) is None:
        return None
    return [finish(f"{match.group('prefix')} {match.group(part)}") for part in ("first", "second")]
