"""Word-level helpers: tagging, number (plural-looking words, singular forms, the copula that agrees),
participles, and how a sub-question is finished (capital, "?" or ".")."""

from __future__ import annotations

import functools
import re
from typing import Any

from enhanced_vllm.nlp.decomposer.lexicon import IMPERATIVE_START, PAST_OF

_PARTICIPLE_OF = {past: participle for participle, past in PAST_OF.items()} | {
    verb: verb for verb in "won built made found led held sold bought taught brought fought".split()
}


_PRONOUNS = frozenset(
    "i me my mine you your yours he him his she her hers it its we us our ours they them their theirs myself"
    " yourself himself herself itself ourselves themselves this that these those who whom whose what which"
    " whatever whichever one ones someone somebody something anyone anybody anything everyone everybody"
    " everything nobody nothing none each all both either neither another other others such".split()
)


_POSSESSIVE_DETERMINERS = frozenset("my your our their".split())  # "his", "her", "its" also stand alone


def pos_tags(words: list[str]) -> list[str]:
    """Universal POS tags of ``words`` by the bundled Brill tagger; a clause's rules ask about the same
    words several times, so each word list is tagged once. A word the tagger calls a pronoun that is
    none ("acetone", an unknown word) is a noun, and "my" / "your" / "our" / "their" are determiners."""
    return list(_tagged(tuple(words)))


@functools.lru_cache(maxsize=2048)
def _tagged(words: tuple[str, ...]) -> tuple[str, ...]:
    from enhanced_vllm.nlp.resources import pos_tagger

    tagged = pos_tagger().tag(list(words))
    tags = [_corrected(word.lower(), tag) for word, tag in tagged]
    for i in range(1, len(tags)):
        if tags[i] in ("NOUN", "ADJ") and words[i - 1].lower() in _SUBJECTS and can_be_verb(words[i]):
            if i < 2 or words[i - 2].lower() not in _BE:  # not "Am I sick"
                tags[i] = "VERB"  # "Can I freeze ...", "How do I clear ...": a verb after its subject
        if tags[i] == "VERB" and words[i].lower().endswith("ed") and tags[i - 1] in _ATTRIBUTIVE_BEFORE:
            if i + 1 < len(tags) and tags[i + 1] == "NOUN":  # "freeze cooked rice", "or mashed potatoes"
                tags[i] = "ADJ"
    return tuple(tags)


_SUBJECTS = frozenset("i you we they".split())
_BE = frozenset("am are is was were".split())
_ATTRIBUTIVE_BEFORE = frozenset({"DET", "ADP", "CCONJ", "VERB"})  # a participle after these, before a noun, modifies it


def can_be_verb(word: str) -> bool:
    """WordNet knows ``word`` as a verb ("freeze", "reset"), whatever the tagger said."""
    from enhanced_vllm.nlp.resources import wordnet

    return bool(wordnet().synsets(word.lower(), pos="v"))


def _corrected(word: str, tag: str) -> str:
    if tag != "PRON":
        return tag
    if word in _POSSESSIVE_DETERMINERS:  # "my home office and my car": each opens a noun phrase
        return "DET"
    return tag if word in _PRONOUNS else "NOUN"


_NP_GRAMMAR = (  # "the 1992 Summer Olympics", "my home office", "the check engine light" ("check": VERB by the tagger)
    "NP: {<DET><NUM>*<VERB>?<ADJ|NOUN|PROPN>*<NOUN|PROPN>}\n    {<NUM>*<ADJ|NOUN|PROPN>*<NOUN|PROPN>}"
)


def noun_phrase_end(tags: list[str], start: int) -> int | None:
    """End (exclusive) of the noun phrase that opens at ``start``, chunked from ``tags`` by an NLTK chunk
    grammar (a determiner, numbers, modifiers, a closing noun); None if none opens there."""
    return dict(_chunks(tuple(tags))).get(start)


def noun_phrase_spans(tags: list[str]) -> list[tuple[int, int]]:
    """[start, end) of every noun phrase the chunk grammar finds, left to right."""
    return list(_chunks(tuple(tags)))


@functools.lru_cache(maxsize=2048)
def _chunks(tags: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    tree = _chunker().parse(list(enumerate(tags)))
    return tuple((chunk[0][0], chunk[-1][0] + 1) for chunk in tree if not isinstance(chunk, tuple))


@functools.cache
def _chunker() -> Any:
    """The grammar's ``nltk.RegexpParser``, built on first use."""
    import nltk

    return nltk.RegexpParser(_NP_GRAMMAR)


def finish(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ,;")
    text = text.rstrip("?.!").rstrip()
    end = "." if IMPERATIVE_START.match(text) else "?"
    return text[:1].upper() + text[1:] + end


_SINGULAR_IN_S = frozenset("headquarters series species means news crossroads barracks physics economics".split())


def looks_plural(word: str) -> bool:
    """ "planets", "causes"; not "glass", "virus", "analysis", "headquarters"."""
    lower = word.lower()
    return lower.endswith("s") and not lower.endswith(("ss", "us", "is")) and lower not in _SINGULAR_IN_S


def copula(phrase: str, past: bool) -> str:
    plural = looks_plural(re.split(r"\s+of\s+", phrase)[0].split()[-1])
    return ("were" if plural else "was") if past else ("are" if plural else "is")


def name_tag(i: int, word: str, tag: str) -> str:
    """The tagger's tag, except that a capitalised word inside the sentence ("Where were Mozart and
    Beethoven born": VERB by the tagger) or one like "iPhone" is a name."""
    if tag != "PROPN" and word != "I" and ((i > 0 and word[:1].isupper()) or any(c.isupper() for c in word[1:])):
        return "PROPN"
    return tag


def singular_noun(word: str) -> str:
    """ "planets" -> "planet", "cities" -> "city", "beaches" -> "beach"."""
    lower = word.lower()
    if lower.endswith("ies"):
        return word[:-3] + "y"
    if lower.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    return word[:-1] if looks_plural(word) else word


def participle_of(past: str) -> str | None:
    """ "founded" -> "founded", "wrote" -> "written"; None for a word that is no past tense we know."""
    past = past.lower()
    if past.endswith("ed"):
        return past
    return _PARTICIPLE_OF.get(past)
