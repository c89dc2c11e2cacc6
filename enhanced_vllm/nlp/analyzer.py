"""Question analysis with NLTK, offline: sentences, tokens, POS (Brill tagger trained on Universal
Dependencies, from the pinned PyPI package ``brill-postagger``), keywords, entities, question type,
conjunctions with their character spans, and the decomposition into sub-questions."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from enhanced_vllm.nlp.decomposer import decompose
from enhanced_vllm.nlp.resources import pos_tagger
from enhanced_vllm.semantic.guard import FUNCTION_WORDS, NEGATIONS

logger = logging.getLogger(__name__)
_SENTENCE = re.compile(r"[^.?!]+[.?!]*")
_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")
_MULTIWORD = ("as well as", "along with", "in addition to", "compared to", "compared with", "as opposed to")
_CORRELATIVE = (("both", "and"), ("either", "or"), ("neither", "nor"), ("not only", "but also"), ("whether", "or"))
_SINGLE = ("and", "or", "but", "nor", "yet", "plus", "vs", "versus")
_QUESTION_WORDS = ("what", "who", "whom", "whose", "when", "where", "why", "which", "how")


@dataclass(frozen=True)
class Conjunction:
    text: str  # "and", "as well as", "both ... and"
    kind: str  # coordinating | multiword | correlative | comparison
    spans: tuple[tuple[int, int], ...]  # character offsets of each part


@dataclass(frozen=True)
class QuestionAnalysis:
    sentences: list[str]
    tokens: list[str]
    pos: list[tuple[str, str]]
    keywords: list[str]
    entities: list[str]
    question_type: str
    conjunctions: list[Conjunction] = field(default_factory=list)
    sub_questions: list[str] = field(default_factory=list)

    @property
    def is_compound(self) -> bool:
        return len(self.sub_questions) > 1

    def as_dict(self) -> dict[str, Any]:
        """A fresh dict of JSON types only (lists, not tuples: the same whether it crossed from the
        analysis process or not; written out: ``dataclasses.asdict`` cost ~150 us per cache hit)."""
        return {
            "sentences": list(self.sentences),
            "tokens": list(self.tokens),
            "pos": [list(pair) for pair in self.pos],
            "keywords": list(self.keywords),
            "entities": list(self.entities),
            "question_type": self.question_type,
            "conjunctions": [
                {"text": c.text, "kind": c.kind, "spans": [list(span) for span in c.spans]} for c in self.conjunctions
            ],
            "sub_questions": list(self.sub_questions),
            "is_compound": self.is_compound,
        }


def _word_spans(text: str, phrase: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(rf"\b{re.escape(phrase)}\b", text, re.I)]


def extract_conjunctions(text: str) -> list[Conjunction]:
    """Coordinating, multi-word, correlative ("both ... and") and comparison conjunctions, in text
    order; a word that is part of a longer conjunction is not reported again on its own."""
    found: list[Conjunction] = []
    taken: list[tuple[int, int]] = []

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= a or span[0] >= b for a, b in taken)

    for first, second in _CORRELATIVE:
        for start, end in _word_spans(text, first):
            later = _word_spans(text[end:], second)
            if later and free((start, end)):
                second_span = (end + later[0][0], end + later[0][1])
                found.append(Conjunction(f"{first} ... {second}", "correlative", ((start, end), second_span)))
                taken += [(start, end), second_span]
    for phrase in _MULTIWORD:
        for span in _word_spans(text, phrase):
            if free(span):
                kind = "comparison" if phrase.startswith(("compared", "as opposed")) else "multiword"
                found.append(Conjunction(phrase, kind, (span,)))
                taken.append(span)
    for word in _SINGLE:
        for span in _word_spans(text, word):
            if free(span):
                kind = "comparison" if word in ("vs", "versus") else "coordinating"
                found.append(Conjunction(word, kind, (span,)))
                taken.append(span)
    return sorted(found, key=lambda c: c.spans[0])


def _question_type(tokens: list[str]) -> str:
    for token in tokens[:3]:
        if token.lower() in _QUESTION_WORDS:
            return token.lower()
    first = tokens[0].lower() if tokens else ""
    if first in ("is", "are", "was", "were", "do", "does", "did", "can", "could", "should", "will", "would", "has"):
        return "yes_no"
    return "imperative" if first in ("compare", "tell", "list", "name", "give", "explain", "describe") else "other"


@functools.lru_cache(maxsize=4096)
def analyze(text: str) -> QuestionAnalysis:
    tokens = _TOKEN.findall(text)
    tagged = [tuple(pair) for pair in pos_tagger().tag(tokens)]
    words = [t for t in tokens if t[0].isalnum()]
    keywords = [t for t in words if t.lower() not in FUNCTION_WORDS and t.lower() not in NEGATIONS]
    entities, current = [], []
    for i, (token, tag) in enumerate(tagged):
        capitalised = token[:1].isupper() and token != "I" and (i > 0 or tag == "PROPN")
        if capitalised and token.lower() not in FUNCTION_WORDS:
            current.append(token)
            continue
        if current:
            entities.append(" ".join(current))
        current = []
    if current:
        entities.append(" ".join(current))
    return QuestionAnalysis(
        sentences=[s.strip() for s in _SENTENCE.findall(text) if s.strip()],
        tokens=tokens,
        pos=tagged,
        keywords=list(dict.fromkeys(keywords)),
        entities=list(dict.fromkeys(entities)),
        question_type=_question_type(words),
        conjunctions=extract_conjunctions(text),
        sub_questions=decompose(text),
    )


def analysis_result(text: str) -> dict[str, Any]:
    """The question's analysis for ``metadata["nlp_result"]``; NLP never fails a request."""
    try:
        return analyze(text).as_dict()
    except Exception as exc:
        logger.warning("NLP analysis failed: %r", exc)
        return {"error": repr(exc)}
