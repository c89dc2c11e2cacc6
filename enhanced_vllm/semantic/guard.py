"""The false-hit guard: two questions whose embeddings are close may still ask different things.

The similarity score only proposes a cached answer; the guard decides. It rejects a candidate when
the salient content differs:
- numbers (digits or number words), e.g. "in 2002" vs "in 1992";
- negation (an odd number of extra not/never/no/n't...);
- named entities / proper nouns: each side names something the other does not;
- antonyms anywhere in a replaced span (WordNet), e.g. best/worst, buy/sell, legal/illegal;
- an isolated content-word substitution that is neither a WordNet synonym nor a spelling variant,
  e.g. "cheaper in Mumbai: Uber or Ola" vs "...: Apple or Ola" — the edit is the whole difference;
- direction: the same words in another order around from/to, than, vs ("from A to B" vs "B to A");
- topic: fewer than a third of the shorter question's content words occur in the other (same stem or
  a WordNet synonym), e.g. "How many days are in a week?" vs "What is the capital of Japan?", whatever
  the cosine says.

It fails closed: any error while checking is a rejection (:meth:`SalienceGuard.check` never raises).
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
from dataclasses import dataclass

from nltk.stem import PorterStemmer

from enhanced_vllm.nlp.resources import wordnet

logger = logging.getLogger(__name__)

FUNCTION_WORDS = frozenset(
    """a an the this that these those some any each every all both either what which who whom whose why how
    when where whether is am are was were be been being do does did done doing have has had having can could
    will would shall should may might must i me my mine myself you your yours yourself he him his himself she
    her hers herself it its itself we us our ours ourselves they them their theirs themselves of in on at to
    for from by with about as into onto upon over under through during and or but if then than so because
    while also too very just really there here get gets got getting make makes one ones way ways thing things
    someone something anyone anything people person s t""".split()
)
NEGATIONS = frozenset("not no never none nobody nothing neither nor without cannot".split())
NUMBER_WORDS = frozenset(
    """zero two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million
    billion trillion first second third fourth fifth half double triple""".split()
)
DIRECTION_CUES = frozenset("from to than vs versus into over before after".split())
MIN_CONTENT_OVERLAP = 1 / 3  # changes no hit of the dev paraphrases (P 0.890, R 0.463); at 1/2: R 0.460
_CONTRACTIONS = [
    (re.compile(r"won't", re.I), "will not"),
    (re.compile(r"can't", re.I), "can not"),
    (re.compile(r"n't\b", re.I), " not"),
    (re.compile(r"'(re|ve|ll|d|m|s)\b", re.I), ""),
]
# numbers (1,000 / 3.5), identifiers mixing letters and digits (A320, 4th, f0ac4bb9: one token, never
# split into fragments that may match by chance), words
_TOKEN = re.compile(r"\d[\d,]*(?:\.\d+)?(?![A-Za-z0-9])|[A-Za-z0-9]*\d[A-Za-z0-9]*|[A-Za-z]+(?:[-.][A-Za-z]+)*")
_stem = PorterStemmer().stem


@dataclass(frozen=True)
class GuardVerdict:
    allowed: bool
    reason: str | None = None


def _expand(text: str) -> str:
    text = text.replace("\u2019", "'")
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class Analysis:
    """What the guard compares, computed once per question."""

    tokens: tuple[str, ...]  # lower-case
    numbers: frozenset[str]
    negations: int
    proper_nouns: frozenset[str]
    content: tuple[str, ...]  # stems of content words, in order
    content_words: frozenset[str]  # the content words themselves (lower-case)


@functools.lru_cache(maxsize=4096)
def analyse(text: str) -> Analysis:
    raw = _TOKEN.findall(_expand(text))
    tokens = tuple(t.lower() for t in raw)
    numbers = frozenset(t.replace(",", "") for t in tokens if any(c.isdigit() for c in t)) | frozenset(
        t for t in tokens if t in NUMBER_WORDS
    )
    proper = frozenset(
        t.lower()
        for i, t in enumerate(raw)
        if t[0].isalpha()
        and t.lower() not in FUNCTION_WORDS
        and t.lower() not in NEGATIONS
        and ((t[0].isupper() and i > 0 and t != "I") or (len(t) > 1 and t.isupper()))
    )
    words = [t for t in tokens if t[0].isalpha() and t not in FUNCTION_WORDS and t not in NEGATIONS]
    content = tuple(_stem(t) for t in words)
    return Analysis(tokens, numbers, sum(t in NEGATIONS for t in tokens), proper, content, frozenset(words))


@functools.lru_cache(maxsize=16384)
def synonyms_of(word: str) -> frozenset:
    return frozenset(wordnet().synsets(word))


@functools.lru_cache(maxsize=16384)
def _antonym_synsets(word: str) -> frozenset:
    return frozenset(a.synset() for s in wordnet().synsets(word) for lemma in s.lemmas() for a in lemma.antonyms())


def _antonymous(left: list[str], right: list[str]) -> bool:
    return any(
        _antonym_synsets(a) & synonyms_of(b) or _antonym_synsets(b) & synonyms_of(a) for a in left for b in right
    )


def _synonymous(left: list[str], right: list[str]) -> bool:
    def senses(words: list[str]) -> frozenset:
        content = [w for w in words if w not in FUNCTION_WORDS]
        return frozenset().union(synonyms_of("_".join(words)), *(synonyms_of(w) for w in content))

    return bool(senses(left) & senses(right))


def shared_content_words(a: Analysis, b: Analysis) -> int:
    """How many of ``a``'s content words ``b`` has, by stem or by a WordNet synonym."""
    stems = set(b.content)
    return sum(
        _stem(word) in stems or any(synonyms_of(word) & synonyms_of(other) for other in b.content_words)
        for word in a.content_words
    )


def _content_overlap(a: Analysis, b: Analysis) -> float:
    """The share of the shorter question's content words that the other one has, by stem or synonym."""
    small, large = sorted((a, b), key=lambda x: len(x.content_words))
    if not small.content_words:
        return 0.0 if large.content_words else 1.0
    return shared_content_words(small, large) / len(small.content_words)


def _spelling_variant(left: list[str], right: list[str]) -> bool:
    a, b = "".join(left).replace("-", ""), "".join(right).replace("-", "")
    same_stems = {_stem(w) for w in left} == {_stem(w) for w in right}
    return same_stems or difflib.SequenceMatcher(a=a, b=b).ratio() >= 0.8


class SalienceGuard:
    """Decides whether a cached question's answer may serve a new question."""

    def warm_up(self) -> None:
        """Load WordNet now (~2 s): a first lookup that had to load it would lose its race."""
        synonyms_of("question")

    def check(self, cached: str, new: str) -> GuardVerdict:
        try:
            return self._check(analyse(cached), analyse(new))
        except Exception as exc:  # fail closed: an unchecked hit is never served
            logger.warning("semantic guard failed (%r); treating as a miss", exc)
            return GuardVerdict(False, f"guard error: {exc!r}")

    def _check(self, a: Analysis, b: Analysis) -> GuardVerdict:
        if a.numbers != b.numbers:
            return GuardVerdict(False, "numbers differ")
        if a.negations % 2 != b.negations % 2:
            return GuardVerdict(False, "negation differs")
        if a.proper_nouns - b.proper_nouns and b.proper_nouns - a.proper_nouns:
            return GuardVerdict(False, "named entities differ")
        if _content_overlap(a, b) < MIN_CONTENT_OVERLAP:
            return GuardVerdict(False, "content words barely overlap")
        if sorted(a.content) == sorted(b.content) and a.content != b.content and DIRECTION_CUES & set(a.tokens):
            return GuardVerdict(False, "direction differs")
        edits = [
            (a.tokens[i1:i2], b.tokens[j1:j2])
            for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a.tokens, b=b.tokens, autojunk=False).get_opcodes()
            if op != "equal"
        ]
        for left, right in edits:
            if left and right and _antonymous(list(left), list(right)):
                return GuardVerdict(False, "antonyms")
        salient = [(left, right) for left, right in edits if any(t not in FUNCTION_WORDS for t in left + right)]
        if len(salient) == 1:
            left, right = (list(side) for side in salient[0])
            if (
                left
                and right
                and len(left) <= 3
                and len(right) <= 3
                and not _spelling_variant(left, right)
                and not _synonymous(left, right)
            ):
                return GuardVerdict(False, "content word substituted")
        return GuardVerdict(True)
