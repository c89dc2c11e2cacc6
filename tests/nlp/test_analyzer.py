"""Analyzer (conjunction spans, resources) and NLP metadata on the real engine."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from enhanced_vllm import CacheConfig, HandlerConfig
from enhanced_vllm.nlp import resources
from enhanced_vllm.nlp.analyzer import analyze, extract_conjunctions
from tests.helpers import collect, greedy, unique_prompt


def spans_text(text, conjunction):
    return [text[a:b] for a, b in conjunction.spans]


def test_conjunction_spans():
    text = "Compare both the GDP and the area of Peru, as well as its capital, along with Chile vs Peru or Spain."
    found = extract_conjunctions(text)
    assert [(c.text, c.kind) for c in found] == [
        ("both ... and", "correlative"),
        ("as well as", "multiword"),
        ("along with", "multiword"),
        ("vs", "comparison"),
        ("or", "coordinating"),
    ]
    assert spans_text(text, found[0]) == ["both", "and"]
    assert all(spans_text(text, c) == [c.text] for c in found[1:])


def test_analysis_fields():
    result = analyze("Who founded Apple and when did it go public?")
    assert result.question_type == "who" and result.entities == ["Apple"]
    assert result.sub_questions == ["Who founded Apple?", "When did Apple go public?"] and result.is_compound
    assert ("founded", "VERB") in result.pos and "founded" in result.keywords
    assert result.as_dict()["conjunctions"][0]["text"] == "and"


def test_missing_nltk_resource_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("ENHANCED_VLLM_NLTK_DATA", str(tmp_path / "empty"))
    resources.wordnet.cache_clear()
    try:
        with pytest.raises(resources.NLTKResourceMissing, match=r"'wordnet'.*enhanced-vllm setup"):
            resources.wordnet()
        with pytest.raises(resources.NLTKResourceMissing, match="wordnet-base"):
            resources.prepare_wordnet(tmp_path / "no-debian-wordnet")
    finally:
        resources.wordnet.cache_clear()


async def test_nlp_result_on_misses_and_hits(llm, engine):
    engine.configure(CacheConfig(), HandlerConfig(features={"enable_similarity_search": False}))
    prompt = f"What are the capital and the population of {unique_prompt('x')[-7:-1].title()}?"
    miss = await collect(llm, prompt, greedy(max_tokens=6))
    hit = await collect(llm, prompt, greedy(max_tokens=6))
    for output in (miss[-1], hit[-1]):
        assert len(output.metadata["nlp_result"]["sub_questions"]) == 2
        assert output.metadata["nlp_result"]["conjunctions"][0]["text"] == "and"


async def test_nlp_runs_beside_generation_with_bounded_concurrency(llm, engine, monkeypatch):
    engine.configure(
        CacheConfig(), HandlerConfig(features={"enable_similarity_search": False}, nlp={"max_concurrent_tasks": 2})
    )
    active, peak, lock = [0], [0], threading.Lock()

    def slow_analysis(text):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.15)
        with lock:
            active[0] -= 1
        return {"sub_questions": [text]}

    monkeypatch.setattr("enhanced_vllm.engine._nlp_result", slow_analysis)
    params = greedy(max_tokens=32, ignore_eos=True)
    results = await asyncio.gather(*(collect(llm, unique_prompt(f"nlp {i}"), params) for i in range(6)))
    assert peak[0] == 2, "at most max_concurrent_tasks analyses at once"
    assert all(r[-1].metadata["nlp_result"]["sub_questions"] for r in results)


async def test_nlp_under_overload_is_skipped_and_counted_never_waited_for(llm, engine, monkeypatch):
    nlp = {"max_concurrent_tasks": 1, "max_pending_tasks": 1}
    engine.configure(CacheConfig(), HandlerConfig(features={"enable_similarity_search": False}, nlp=nlp))
    worker_free = threading.Event()

    def analysis(text):
        if threading.current_thread().name.startswith("nlp-"):
            worker_free.wait(10)  # the one worker is stuck: the queue fills
        return {"sub_questions": [text]}

    monkeypatch.setattr("enhanced_vllm.engine._nlp_result", analysis)
    params = greedy(max_tokens=8, ignore_eos=True)
    try:
        results = await asyncio.gather(*(collect(llm, unique_prompt(f"busy {i}"), params) for i in range(6)))
    finally:
        worker_free.set()
    skipped = [r for r in results if r[-1].metadata["nlp_result"] == {"skipped": "overload"}]
    assert all(r[-1].finished and r[-1].outputs[0].finish_reason == "length" for r in results)
    assert len(skipped) >= 4 and engine.stats.snapshot()["nlp_skipped"] == len(skipped)
    assert all(r[-1].metadata["nlp_result"]["sub_questions"] for r in results if r not in skipped)
