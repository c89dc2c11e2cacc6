"""Analyzer (conjunction spans, resources) and NLP metadata on the real engine."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from enhanced_vllm import CacheConfig, HandlerConfig
from enhanced_vllm import engine as engine_module
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


async def _warm_analysis_process(llm, engine):
    await collect(llm, unique_prompt("warm-up"), greedy(max_tokens=2))
    for _ in range(200):  # its first start imports NLTK (about a second)
        if engine.nlp.pids and not engine.nlp._pending:
            return
        await asyncio.sleep(0.05)


async def test_nlp_runs_in_an_analysis_process_not_on_the_engine_loop(llm, engine, monkeypatch):
    engine.configure(CacheConfig(), HandlerConfig(features={"enable_similarity_search": False}))
    await _warm_analysis_process(llm, engine)
    inline_before = engine.stats.snapshot()["nlp_inline"]  # the warm-up finished before its process started
    inline = []
    real = engine_module.analysis_result
    monkeypatch.setattr(engine_module, "analysis_result", lambda text: inline.append(text) or real(text))
    params = greedy(max_tokens=24, ignore_eos=True)
    prompts = [f"What are the capital and the currency of country {i}?" for i in range(6)]
    results = await asyncio.gather(*(collect(llm, p, params) for p in prompts))
    assert all(len(r[-1].metadata["nlp_result"]["sub_questions"]) == 2 for r in results)
    assert inline == [], "every miss was analysed by the worker process while the engine generated"
    assert engine.stats.snapshot()["nlp_inline"] == inline_before
    assert all(os.waitpid(pid, os.WNOHANG) == (0, 0) for pid in engine.nlp.pids)


async def test_nlp_under_overload_is_skipped_and_counted_never_waited_for(llm, engine):
    nlp = {"max_pending_tasks": 2}
    engine.configure(CacheConfig(), HandlerConfig(features={"enable_similarity_search": False}, nlp=nlp))
    await _warm_analysis_process(llm, engine)
    (pid,) = engine.nlp.pids
    inline_before = engine.stats.snapshot()["nlp_inline"]
    os.kill(pid, signal.SIGSTOP)  # the worker stops answering: analyses pile up
    try:
        params = greedy(max_tokens=4, ignore_eos=True)
        results = [await collect(llm, unique_prompt(f"busy {i}"), params) for i in range(6)]
    finally:
        os.kill(pid, signal.SIGCONT)
    skipped = [r for r in results if r[-1].metadata["nlp_result"] == {"skipped": "overload"}]
    assert all(r[-1].finished and r[-1].outputs[0].finish_reason == "length" for r in results)
    assert len(skipped) == 4 and engine.stats.snapshot()["nlp_skipped"] == 4
    assert all(r[-1].metadata["nlp_result"]["sub_questions"] for r in results[:2]), "analysed at finish"
    assert engine.stats.snapshot()["nlp_inline"] - inline_before == 2, "on the loop, and counted"


async def test_a_dead_analysis_process_leaves_requests_their_analysis(llm, engine):
    engine.configure(CacheConfig(), HandlerConfig(features={"enable_similarity_search": False}))
    await _warm_analysis_process(llm, engine)
    (pid,) = engine.nlp.pids
    os.kill(pid, signal.SIGKILL)
    outputs = [await collect(llm, unique_prompt(f"after {i}"), greedy(max_tokens=4)) for i in range(3)]
    assert all(o[-1].metadata["nlp_result"]["sub_questions"] for o in outputs)
    engine.nlp.close()
    engine.nlp = None
    engine.configure(CacheConfig(), HandlerConfig(features={"enable_similarity_search": False}))
    assert engine.nlp.pids == [], "a fresh analyzer starts its process on first use"
