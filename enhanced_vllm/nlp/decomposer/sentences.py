"""A question of several sentences: each decomposed in turn, pronouns read against the sentences before
it, statements that only set the scene left out."""

from __future__ import annotations

import re

from enhanced_vllm.nlp.decomposer.clauses import decompose_sentence
from enhanced_vllm.nlp.decomposer.direct import asked_directly
from enhanced_vllm.nlp.decomposer.ellipsis import elided, if_so, in_place, standalone, what_about_sentence, with_head
from enhanced_vllm.nlp.decomposer.lexicon import IMPERATIVE_START, join_fixed_pairs, unjoin_fixed_pairs
from enhanced_vllm.nlp.decomposer.referents import (
    mentions_plural_pronoun,
    person_of,
    plural_referent,
    resolve_pronouns,
    subject_of,
)
from enhanced_vllm.nlp.decomposer.words import finish, pos_tags

_SENTENCE_END = re.compile(r"(?<!\b(?:Mr|Ms|Dr|St|Jr|Sr)\.)(?<!\bMrs\.)(?<=[?.!])\s+(?=[A-Z])")  # not "Mr. Darcy"
_LEADING_CONJUNCTION = re.compile(r"^(?:and|also|plus|then)\s*,?\s+", re.I)
_VISITING = re.compile(  # a statement that sets the scene in a place: "I'm visiting Rome next month."
    r"\b(?:visiting|visit|going to|travel(?:l)?ing to|flying to|moving to|trip to|holiday in|vacation in|staying in)"
    r"\s+(?P<place>[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)"
)
_UNRESOLVED = re.compile(r"\b(?:it|they|them|he|she|him|her|its|their|his|this|that)\b", re.I)  # left as it was


def _is_statement(sentence: str) -> bool:
    """ "I'm reading about Nelson Mandela.": context for the questions after it, not a question (nor a
    request: "Give an example." opens with a verb)."""
    words = sentence.split()
    if not sentence.rstrip().endswith(".") or IMPERATIVE_START.match(sentence.strip()):
        return False
    return pos_tags(words[:1])[0] != "VERB"


def decompose(question: str) -> list[str]:
    """Self-contained sub-questions of ``question``; a simple question maps to itself."""
    text = join_fixed_pairs(question.strip())
    if text.endswith("?"):  # "What is X; who is Y?": two questions
        text = re.sub(r"\s*;\s+(\w)", lambda m: "? " + m.group(1).upper(), text)
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    statements = [_is_statement(s) for s in sentences]
    drop = any(statements) and not all(statements)  # a statement before a question only sets the scene
    questions = _decompose_sentences(sentences, drop)
    if drop and any(_UNRESOLVED.search(q) for q in questions):  # "My laptop is slow. How can I speed it up?"
        questions = _decompose_sentences(sentences, drop_statements=False)
    if len(questions) > 1:  # "I was wondering how long X takes and ..." -> "How long does X take?"
        return [unjoin_fixed_pairs(asked_directly(q)) for q in questions]
    if not questions or questions[0] in sentences:  # one question as written: asked with its context
        return [question]
    return [unjoin_fixed_pairs(questions[0])]  # "Tesla makes cars. Who founded it?" -> "Who founded Tesla?"


def _decompose_sentences(sentences: list[str], drop_statements: bool) -> list[str]:
    """Each sentence decomposed, its pronouns read against the sentences before it; statements that
    only set the scene are left out when ``drop_statements``."""
    questions: list[str] = []
    subject = plural = person = previous = place = None
    for i, sentence in enumerate(sentences):
        if i > 0:  # "What is the capital of France? And what is its population?"
            sentence = resolve_pronouns(_LEADING_CONJUNCTION.sub("", sentence), subject, plural, person)
            sentence = sentence[:1].upper() + sentence[1:]
            if previous is not None:
                sentence = finish(if_so(sentence, previous))  # "Is X taxed? If so, at what rate?"
                if (shared := elided(sentence.rstrip("?.!"), previous.rstrip("?.!"))) != sentence.rstrip("?.!"):
                    sentence = finish(shared)  # "Does Rust have a garbage collector? Does Go?"
                sentence = standalone(what_about_sentence(sentence, previous), previous, subject)
                sentence = with_head(sentence, previous)  # "Which planet has X? Which has Y?"
        if i + 1 < len(sentences):  # only a later sentence reads it
            subject = subject_of(sentence) or subject
            plural = (plural_referent(sentence) if mentions_plural_pronoun(sentences[i + 1 :]) else None) or plural
            person = person_of(sentence) or person
        previous = sentence
        if drop_statements and _is_statement(sentence):
            if (visit := _VISITING.search(sentence)) is not None:
                place = visit.group("place")
            continue
        for sub_question in decompose_sentence(sentence):
            sub_question = in_place(sub_question, place)
            if sub_question not in questions:
                questions.append(sub_question)
    return questions
