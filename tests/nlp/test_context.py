"""Context enhancement on the real engine and a real (embedded) Chroma."""

from __future__ import annotations

import uuid

from enhanced_vllm import CacheConfig, HandlerConfig
from enhanced_vllm.nlp.context import HEADER
from tests.helpers import collect, greedy


async def test_context_enhancement_adds_deduplicated_similar_answers(semantic_llm):
    llm = semantic_llm
    country = "Zq" + uuid.uuid4().hex[:4]
    params = greedy(max_tokens=8, ignore_eos=True)
    for question in (f"What is the capital of {country}?", f"What is the population of {country}?"):
        await collect(llm, question, params)
    await llm.flush_cache_writes()

    llm.configure(CacheConfig(), HandlerConfig(features={"enable_context_enhancement": True}), llm.similarity_config)
    compound = f"What are the capital and the population of {country}?"
    outputs = [o async for o in llm.generate_enhanced(compound, params)]
    added = outputs[-1].metadata["similar_results"]
    questions = [entry["question"] for entry in added]
    assert set(questions) == {f"What is the capital of {country}?", f"What is the population of {country}?"}
    assert len(questions) == len(set(questions)), "deduplicated across sub-questions"
    assert {entry["sub_question"] for entry in added} == set(questions)
    assert outputs[-1].prompt.startswith(HEADER) and outputs[-1].prompt.endswith(compound)
    assert sorted(outputs[-1].metadata["nlp_result"]["sub_questions"]) == sorted(questions)

    # a chat-rendered prompt gets the context inside its user turn, the template kept around it
    chat = [{"role": "user", "content": compound}]
    rendered = llm.tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
    before, after = rendered.split(compound)
    templated = [o async for o in llm.generate_enhanced(rendered, params)][-1]
    assert templated.metadata["similar_results"]
    assert templated.prompt.startswith(before + HEADER) and templated.prompt.endswith(compound + after)


async def test_context_enhancement_is_off_by_default(semantic_llm):
    assert semantic_llm.context is None
    outputs = await collect(semantic_llm, f"What is the area of Zq{uuid.uuid4().hex[:4]}?", greedy(max_tokens=4))
    assert outputs[-1].metadata["similar_results"] == [] and not outputs[-1].prompt.startswith(HEADER)
