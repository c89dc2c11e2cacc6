"""One sentence into clauses ("Who founded Apple and when did it go public?"), each completed from the
first and then split further by the noun-phrase and verb rules."""

from __future__ import annotations

import re

from enhanced_vllm.nlp.decomposer.coordination import split_coordinated_phrases, split_superlatives
from enhanced_vllm.nlp.decomposer.ellipsis import (
    asks_of_the_action,
    bare_wh,
    elided,
    if_so,
    parallel_fragment,
    standalone,
    what_about,
    with_head,
)
from enhanced_vllm.nlp.decomposer.lexicon import (
    BARE_WH,
    CONJ,
    EMBEDDING_FRAME,
    IMPERATIVE,
    PAST_OF,
    REQUEST_FRAME,
)
from enhanced_vllm.nlp.decomposer.noun_phrases import split_noun_phrases, split_quantified, split_repeated_preposition
from enhanced_vllm.nlp.decomposer.referents import (
    mentions_plural_pronoun,
    person_of,
    plural_referent,
    resolve_pronouns,
    subject_of,
)
from enhanced_vllm.nlp.decomposer.verbs import (
    split_closing_verbs,
    split_gerunds,
    split_verb_phrase_list,
    split_verb_phrases,
    split_verbs,
)
from enhanced_vllm.nlp.decomposer.words import finish

_KEEP_WHOLE = re.compile(
    r"\b(?:between|vs\.?|versus|differ(?:ence|ences|ent)?|similarit(?:y|ies)|relationship|both|in common|alike"
    r"|balanc(?:e|ing)|combin(?:e|ing)|juggl(?:e|ing)|reconcil(?:e|ing)"  # "balance work and family": one thing
    r"|mix(?:ing)?|interacts?"  # "Is it safe to mix X and Y?", "Do X and Y interact?": one question of both
    r"|at the same time|simultaneously|at once|together(?!\s+with))\b",  # "learn Spanish and French at once"
    re.I,
)
_CLAUSE_START = (
    r"(?:if\s+so|for\s+how\s+long|when|where|who|whom|whose|what|which|why|how|is|are|was|were|did|does|do|can|could|should|will|would|has|have"
    rf"|{IMPERATIVE}|(?:in|at|on|for|from|with|to)\s+(?:what|which|whom|whose)\s+\w+\s+(?:is|are|was|were|do|does"
    r"|did|can|could|should|will|would|has|have))"  # "..., and at what age should it be done?"
)
_CLAUSE_SPLIT = re.compile(  # "... and when did ...", "..., but (more importantly,) why was ...", "X, why Y, and Z"
    rf"\s*,?\s+(?:{CONJ}|but(?:\s+(?:more\s+importantly|also))?\s*,?)\s+(?={_CLAUSE_START}\b)"
    r"|\s*,\s+(?=(?:(?:why|how|when|where|what|who)\s+(?:is|are|was|were|do|does|did|can|could|should|would|will)"
    r"|who\s+[a-z]+)\b"
    r"[^,]*,\s+(?:and|or)\s)",
    re.I,
)
# "Can you explain how a jet engine works": the frame a later "what it is made of" is asked in
_REQUEST_FRAME = re.compile(rf"^(?P<frame>{REQUEST_FRAME})\b", re.I)
_EMBEDDED_WH = re.compile(  # "why it collapsed", "how much it costs": a wh-phrase not followed by an auxiliary
    r"^(?:how(?:\s+(?:much|many|long|old|far|big|often))?|why|when|where|what)\s+"
    r"(?!(?:is|are|was|were|do|does|did|can|could|should|would|will|has|have)\b)\w+",
    re.I,
)
_BY_WHOM = re.compile(
    r"^(?P<first>(?:when|where|why|how)\s+(?:was|were|is|are)\s+(?P<np>[^,]+?)\s+(?P<participle>[a-z]+))"
    r"(?:\s*,\s*(?P<bare>where|when|why|how))?\s*,?\s+and\s+by\s+whom$",  # "..., where, and by whom"
    re.I,
)
_AND_WHETHER = re.compile(
    rf"^(?P<frame>{REQUEST_FRAME})\s+(?P<first>.+?)\s*,?\s+and\s+"
    r"(?P<second>(?:whether|if)\s+.+)$",
    re.I,
)
_DECLARATIVE = re.compile(  # "I've heard of X but what does it involve": the first clause only says what "it" is
    r"^(?:i|i'm|i've|we|we're|we've|my|our)\s(?!.*\b(?:what|how|why|when|where|who|which|whether|if|know|wonder"
    r"|wondering|like|want|need)\b)",
    re.I,
)
_IN_WHICH = re.compile(r"^(?P<first>.+?)\s*,?\s+and\s+(?P<wh>(?:in|on|at)\s+(?:which|what)\s+[a-z]+)$", re.I)


def _by_whom(sentence: str) -> list[str] | None:
    """ "When was Google founded (, where,) and by whom?" -> the question, (where,) and who did it."""
    match = _BY_WHOM.match(sentence.rstrip("?.!"))
    if match is None:
        return None
    verb = PAST_OF.get(match.group("participle").lower(), match.group("participle"))
    also = [finish(bare_wh(match.group("bare"), match.group("first")))] if match.group("bare") else []
    return [finish(match.group("first")), *also, finish(f"Who {verb} {match.group('np')}")]


def _in_which(sentence: str) -> list[str] | None:
    """ "Who discovered penicillin and in which year?" -> the question, and in which year it was done."""
    match = _IN_WHICH.match(sentence.rstrip("?.!"))
    if match is None:
        return None
    return [finish(match.group("first")), finish(bare_wh(match.group("wh"), match.group("first")))]


def _and_whether(sentence: str) -> list[str] | None:
    """ "Can you tell me the opening hours of X and whether entry is free?" -> both asked in the frame."""
    match = _AND_WHETHER.match(sentence.rstrip("?.!"))
    if match is None:
        return None
    frame, first = match.group("frame"), match.group("first")
    if (follow_up := if_so(match.group("second"), f"{frame} {first}")) != match.group("second"):
        return [finish(f"{frame} {first}"), finish(follow_up)]  # "..., and if so, how often"
    subject = subject_of(f"{frame} {first}")  # "I'd like to know how a heat pump works": a heat pump
    second = standalone(resolve_pronouns(match.group("second"), subject), first, subject)
    return [finish(f"{frame} {first}"), finish(f"{frame} {second}")]


def decompose_sentence(sentence: str) -> list[str]:
    sentence = sentence.strip()
    if (asked := _by_whom(sentence) or _in_which(sentence) or _and_whether(sentence)) is not None:
        return asked
    clauses = _CLAUSE_SPLIT.split(sentence.rstrip("?.!"))
    if len(clauses) == 1 and _KEEP_WHOLE.search(sentence):  # "the difference between A and B": one question
        return [sentence]
    if len(clauses) > 1:
        subject = subject_of(clauses[0])
        plural = plural_referent(clauses[0]) if mentions_plural_pronoun(clauses[1:]) else None
        person = person_of(clauses[0])
        questions = [] if _DECLARATIVE.match(clauses[0]) else decompose_sentence(finish(clauses[0]))
        for clause in clauses[1:]:
            clause = elided(if_so(clause, clauses[0]), clauses[0])
            if clause.strip().lower() in BARE_WH:
                clause = bare_wh(clause.strip(), clauses[0])
            clause = with_head(what_about(clause, clauses[0], subject), clauses[0])
            embedded = _EMBEDDED_WH.match(clause.strip())  # "when it fell", not "when should I use one"
            if (frame := EMBEDDING_FRAME.match(clauses[0])) and embedded:
                clause = f"{frame.group('frame')} {clause.strip()}"  # "... and what it is made of"
            elif (frame := _REQUEST_FRAME.match(clauses[0])) and embedded:
                clause = f"{frame.group('frame')} {clause.strip()}"  # "Tell me about X and why it collapsed."
            if not asks_of_the_action(clause, clauses[0]):
                clause = resolve_pronouns(clause, subject, plural, person)
            clause = standalone(clause, clauses[0], subject)
            questions.extend(decompose_sentence(finish(clause)))
        return questions
    text = sentence.rstrip("?.!").strip()
    return (
        split_superlatives(text)
        or split_quantified(text)
        or split_noun_phrases(text)
        or split_gerunds(text)
        or split_verbs(text)
        or split_closing_verbs(text)
        or split_verb_phrases(text)
        or split_verb_phrase_list(text)
        or split_repeated_preposition(text)
        or split_coordinated_phrases(text)
        or parallel_fragment(text)
        or [sentence]
    )
