"""Answers users get: greedy output equals transformers' on the same weights through the engine API
and the handler (the adapters: tests/langchain and tests/llamaindex ``test_answers.py``), factual
questions contain their answers, and with the semantic stage racing on chat-rendered prompts every
question still gets its own answer while true paraphrases hit."""

from __future__ import annotations

import functools

import pytest
from vllm.sampling_params import RequestOutputKind

from enhanced_vllm import CacheConfig, EnhancedVLLMHandler
from enhanced_vllm.answers import (
    FACTS,
    MAX_TOKENS,
    OTHERS,
    PARAPHRASES,
    STORED,
    check_engine,
    check_outputs_equal,
    user_turn,
)
from enhanced_vllm.prompts import NO_QUESTION
from tests.helpers import EXACT_ONLY, collect, greedy

pytestmark = pytest.mark.slow


async def test_generate_equals_transformers_greedy_and_answers_the_facts(engine, reference):
    assert len(reference) >= 12
    assert len({len(ref.prompt_token_ids) for ref in reference.values()}) >= 8  # a few tokens to hundreds
    assert max(len(ref.prompt_token_ids) for ref in reference.values()) > 300
    engine.configure(CacheConfig(), EXACT_ONLY)
    result = await check_engine(engine)  # what `enhanced-vllm eval answers` reports
    assert result["mismatches"] == []
    assert result["matched"] == f"{len(reference)}/{len(reference)}"
    facts = sum(1 for fact in FACTS.values() if fact)
    assert result["facts"] == f"{facts}/{facts}"


async def test_nlp_analyses_the_question_not_the_template(engine, reference):
    engine.configure(CacheConfig(), EXACT_ONLY)
    output = (await collect(engine, reference["What is the capital of France?"].prompt, greedy(4)))[-1]
    tokens = output.metadata["nlp_result"]["tokens"]
    assert "France" in tokens and not {"im_start", "system", "SmolLM"} & set(tokens)


async def test_handler_equals_transformers_greedy(engine, reference):
    engine.configure(CacheConfig(), EXACT_ONLY)
    handler = EnhancedVLLMHandler(llm=engine)
    for name, ref in reference.items():
        collector = await handler.add_request_v2(ref.prompt, greedy(MAX_TOKENS, RequestOutputKind.FINAL_ONLY))
        output = [o async for o in collector.get_outputs()][-1]
        assert output.error is None
        check_outputs_equal(name, ref, output.outputs[0].token_ids, output.text)


async def test_semantic_stage_on_chat_prompts_answers_each_question_with_its_own_answer(semantic_llm, reference):
    """Chat-rendered prompts through the inherited ``generate()``, no ``question=``: the stage must
    compare the user's questions, not the template (system prompt included) around them."""
    llm, tokenizer = semantic_llm, semantic_llm.tokenizer  # every default feature, a generous race budget
    render = functools.partial(tokenizer.apply_chat_template, tokenize=False, add_generation_prompt=True)
    params = greedy(MAX_TOKENS)
    first = {}
    for question in STORED:
        first[question] = (await collect(llm, reference[question].prompt, params))[-1]
        assert first[question].metadata["cache_level"] is None
    await llm.flush_cache_writes()

    for question in OTHERS:  # different questions: each gets its own reference answer
        output = (await collect(llm, reference[question].prompt, params))[-1]
        assert output.metadata["cache_level"] is None, (question, output.metadata.get("matched_question"))
        check_outputs_equal(question, reference[question], output.outputs[0].token_ids, output.outputs[0].text)

    for paraphrase, original in PARAPHRASES.items():  # true paraphrases: the stored answer
        prompt = render(user_turn(paraphrase))
        output = (await collect(llm, prompt, params))[-1]
        assert output.metadata["cache_level"] == "semantic", paraphrase
        assert output.metadata["matched_question"] == original
        assert output.outputs[0].text == first[original].outputs[0].text

    # token ids reach the stage too; a caller's "no question" is honoured, never the whole prompt
    paraphrase, original = next(iter(PARAPHRASES.items()))
    prompt_ids = tokenizer(render(user_turn(paraphrase))).input_ids
    output = (await collect(llm, {"prompt_token_ids": prompt_ids}, params))[-1]
    assert output.metadata["cache_level"] == "semantic" and output.metadata["matched_question"] == original
    prompt = render(user_turn("What is Japan's capital city?"))
    output = [o async for o in llm.generate_enhanced(prompt, params, question=NO_QUESTION)][-1]
    assert output.metadata["cache_level"] is None
    assert "no question" in output.metadata["semantic_skipped"]
