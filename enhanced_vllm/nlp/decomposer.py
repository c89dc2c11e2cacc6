"""Compound question -> self-contained sub-questions, by rules over the question's structure
(deterministic, no model call, well under a millisecond).

Handled, per sentence:
- clause coordination: "Who founded Apple and when did it go public?" -> two questions, pronouns in
  the second replaced by the first clause's subject ("When did Apple go public?");
- coordinated attributes: "What are the capital and the population of France?" -> one per attribute;
- coordinated entities: "What is the GDP of Brazil, Peru and Chile?" / "Compare the area of X and Y.";
- independent noun phrases: "What is the GDP of India as well as the area of Peru?";
- coordinated verbs sharing an object: "How do I install and configure nginx?";
- "as well as" / "along with" + its / his / her: "What is the population of Tokyo as well as its area?";
- pronouns: "they" / "them" / "their" point back to the last plural noun ("What do lions eat and
  where do they live?"), others to the last name (or a sentence-initial one: "Tesla makes cars. Who
  founded it?"); a bare "and why?" reuses the first clause ("When did Rome fall and why?").
Conjunctions: and, as well as, along with, plus, "&", and comma lists. Kept whole: questions that
only look compound ("difference between A and B", "A vs B", titles such as "Pride and Prejudice",
compound nouns such as "rock and roll").
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[?.!])\s+(?=[A-Z])")
_CONJ = r"(?:and also|and|as well as|along with|plus|&)"
_LIST_SEPARATOR = re.compile(rf"\s*,\s*(?:{_CONJ}\s+)?|\s+{_CONJ}\s+", re.I)
_KEEP_WHOLE = re.compile(
    r"\b(?:between|vs\.?|versus|differ(?:ence|ences|ent)?|similarit(?:y|ies)|relationship|both)\b", re.I
)
_CLAUSE_START = (
    r"(?:when|where|who|whom|whose|what|which|why|how|is|are|was|were|did|does|do|can|could|should|will|would|has|have)"
)
_CLAUSE_SPLIT = re.compile(rf"\s*,?\s+{_CONJ}\s+(?={_CLAUSE_START}\b)", re.I)
_NP_PREFIX = re.compile(
    r"^(?P<wh>what|who|which)\s+(?P<cop>is|are|was|were)\s+(?P<body>.+)$"
    r"|^(?P<verb>compare|tell me|give me|list|name|show me|find)\s+(?P<body2>.+)$",
    re.I,
)
_VERB_COORDINATION = re.compile(
    rf"^(?P<prefix>.*?\b(?:I|you|we|one|to|can|should))\s+(?P<verbs>[a-z]+(?:\s*,\s*[a-z]+)*\s*,?\s+{_CONJ}\s+[a-z]+)"
    r"\s+(?P<object>.+)$"
)
_DETERMINER = re.compile(r"^(?:the|a|an|its|their|his|her|this|that|these|those|my|your|our)\b", re.I)
_BARE_WH = ("why", "how", "where", "when")
_BARE_WH_REPLACES = re.compile(rf"^(?:{'|'.join(_BARE_WH)})\b", re.I)  # the first clause's own wh-word
_LEADING_CONJUNCTION = re.compile(r"^(?:and|also|plus|then)\s*,?\s+", re.I)
_NOT_VERBS = frozenset("the a an of in on for to with my your our its their".split())
_POSSESSIVES = frozenset({"its", "his", "their"})
_PLURAL_PRONOUNS = frozenset({"they", "them", "their"})
_PLURAL_PRONOUN = re.compile(rf"\b(?:{'|'.join(_PLURAL_PRONOUNS)})\b", re.I)
_LEADING_POSSESSIVE = re.compile(r"^(?:its|his|her)\s+", re.I)  # "their" may point back to a plural head


def _finish(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ,;")
    text = text.rstrip("?.!").rstrip()
    return text[:1].upper() + text[1:] + "?"


def _subject(clause: str) -> str | None:
    """The entity a later clause's pronoun refers to: the last run of capitalised words (not the
    first word), else the noun phrase after the verb."""
    words = clause.rstrip("?.!").split()
    runs, current = [], []
    for i, word in enumerate(words):
        if i > 0 and word[:1].isupper() and word != "I":
            current.append(word.strip(",;"))
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    if runs:
        return " ".join(runs[-1])
    return _leading_proper_noun(words)


def _leading_proper_noun(words: list[str]) -> str | None:
    """A sentence-initial subject ("Tesla makes cars."), which the capitalisation rule cannot tell
    from "The" or "What": a first word the bundled POS tagger reads as a noun, followed by a verb."""
    from enhanced_vllm.nlp.resources import pos_tagger

    if len(words) < 2 or not words[0][:1].isupper():
        return None
    (first, first_tag), (_, next_tag) = pos_tagger().tag([w.strip(",;.") for w in words[:2]])
    return first if first_tag in ("NOUN", "PROPN") and next_tag in ("VERB", "AUX") else None


def _plural_referent(clause: str) -> str | None:
    """What "they" / "them" / "their" in a later clause most likely means: the last plural-looking
    noun of ``clause`` ("What do lions eat" -> "lions"), by the bundled POS tagger."""
    from enhanced_vllm.nlp.resources import pos_tagger

    words = [w.strip(",;") for w in clause.rstrip("?.!").split()]
    plural = [
        i
        for i, (word, tag) in enumerate(pos_tagger().tag(words))
        if tag in ("NOUN", "PROPN") and word.lower().endswith("s") and not word.lower().endswith(("ss", "us", "is"))
    ]
    if not plural:
        return None
    last = plural[-1]
    with_article = last > 0 and words[last - 1].lower() in ("the", "these", "those")
    return " ".join(words[last - 1 : last + 1] if with_article else words[last : last + 1])


def _resolve_pronouns(clause: str, subject: str | None, plural: str | None = None) -> str:
    """Pronouns replaced: plural ones by ``plural`` (else ``subject``), the others by ``subject``."""

    def replace(match: re.Match) -> str:
        word = match.group(0).lower()
        referent = (plural or subject) if word in _PLURAL_PRONOUNS else subject
        if referent is None:
            return match.group(0)
        return f"{referent}'s" if word in _POSSESSIVES else referent

    return re.sub(r"\b(?:it|he|she|they|him|them|its|his|their)\b", replace, clause, flags=re.I)


def _entity_tail(phrase: str) -> re.Match | None:
    """A trailing "of <Proper Name>" (e.g. "... of New Zealand")."""
    return re.search(r"\s+of\s+(?:the\s+)?[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*$", phrase)


def _copula(phrase: str, past: bool) -> str:
    head = re.split(r"\s+of\s+", phrase)[0].split()[-1].lower()
    plural = head.endswith("s") and not head.endswith(("ss", "us", "is"))
    return ("were" if plural else "was") if past else ("are" if plural else "is")


def _noun_phrases(conjuncts: list[str]) -> list[str] | None:
    """Complete each conjunct: share a trailing "of X" (attributes) or a leading "the A of" (entities)."""
    tails = [_entity_tail(c) for c in conjuncts]
    if tails[-1] and not any(tails[:-1]):  # "the capital, the currency and the GDP of Mexico"
        if not all(_DETERMINER.match(c) for c in conjuncts[:-1]) and not _DETERMINER.match(conjuncts[-1]):
            return None
        tail = conjuncts[-1][tails[-1].start() :]
        return [c + tail for c in conjuncts[:-1]] + [conjuncts[-1]]
    if tails[0] and all(c[:1].isupper() and " of " not in c for c in conjuncts[1:]):  # "the GDP of X, Y and Z"
        head = conjuncts[0][: tails[0].start()]
        return [conjuncts[0]] + [f"{head} of {c}" for c in conjuncts[1:]]
    if tails[0] and all(_LEADING_POSSESSIVE.match(c) for c in conjuncts[1:]):  # "the area of Peru and its GDP"
        tail = conjuncts[0][tails[0].start() :]
        return [conjuncts[0]] + [_LEADING_POSSESSIVE.sub("the ", c) + tail for c in conjuncts[1:]]
    if all(tails):  # "the GDP of India as well as the area of Peru"
        return conjuncts
    if " of " in conjuncts[-1] and not any(" of " in c for c in conjuncts[:-1]) and _DETERMINER.match(conjuncts[0]):
        tail = conjuncts[-1][conjuncts[-1].rindex(" of ") :]  # "the causes and effects of inflation"
        return [c + tail for c in conjuncts[:-1]] + [conjuncts[-1]]
    return None


def _split_noun_phrases(sentence: str) -> list[str] | None:
    match = _NP_PREFIX.match(sentence)
    if not match:
        return None
    body = match.group("body") or match.group("body2")
    conjuncts = [c for c in _LIST_SEPARATOR.split(body) if c]
    if len(conjuncts) < 2:
        return None
    determiner = _DETERMINER.match(conjuncts[0])
    if determiner:  # "the capital and currency of X": the second conjunct shares "the"
        conjuncts = [c if _DETERMINER.match(c) or c[:1].isupper() else f"{determiner.group(0)} {c}" for c in conjuncts]
    phrases = _noun_phrases(conjuncts)
    if phrases is None:
        return None
    wh = (match.group("wh") or "What").capitalize()
    past = (match.group("cop") or "").lower() in ("was", "were")
    return [_finish(f"{wh} {_copula(phrase, past)} {phrase}") for phrase in phrases]


def _split_verbs(sentence: str) -> list[str] | None:
    match = _VERB_COORDINATION.match(sentence)
    if not match:
        return None
    verbs = [v for v in _LIST_SEPARATOR.split(match.group("verbs")) if v]
    if len(verbs) < 2 or any(v.lower() in _NOT_VERBS for v in verbs):
        return None
    return [_finish(f"{match.group('prefix')} {verb} {match.group('object')}") for verb in verbs]


def _mentions_plural_pronoun(clauses: list[str]) -> bool:
    return any(_PLURAL_PRONOUN.search(clause) for clause in clauses)


def _decompose_sentence(sentence: str) -> list[str]:
    sentence = sentence.strip()
    if _KEEP_WHOLE.search(sentence):
        return [sentence]
    clauses = _CLAUSE_SPLIT.split(sentence.rstrip("?.!"))
    if len(clauses) > 1:
        subject = _subject(clauses[0])
        plural = _plural_referent(clauses[0]) if _mentions_plural_pronoun(clauses[1:]) else None
        questions = _decompose_sentence(_finish(clauses[0]))
        for clause in clauses[1:]:
            if clause.strip().lower() in _BARE_WH and _BARE_WH_REPLACES.match(clauses[0]):
                clause = _BARE_WH_REPLACES.sub(clause.strip(), clauses[0], count=1)  # "When did X fall and why?"
            questions.extend(_decompose_sentence(_finish(_resolve_pronouns(clause, subject, plural))))
        return questions
    text = sentence.rstrip("?.!").strip()
    return _split_noun_phrases(text) or _split_verbs(text) or [sentence]


def decompose(question: str) -> list[str]:
    """Self-contained sub-questions of ``question``; a simple question maps to itself."""
    sentences = [s for s in _SENTENCE_END.split(question.strip()) if s.strip()]
    questions: list[str] = []
    subject = None
    for i, sentence in enumerate(sentences):
        if i > 0:  # "What is the capital of France? And what is its population?"
            sentence = _resolve_pronouns(_LEADING_CONJUNCTION.sub("", sentence), subject)
            sentence = sentence[:1].upper() + sentence[1:]
        if i + 1 < len(sentences):  # only a later sentence reads it
            subject = _subject(sentence) or subject
        for sub_question in _decompose_sentence(sentence):
            if sub_question not in questions:
                questions.append(sub_question)
    return questions or [question]
