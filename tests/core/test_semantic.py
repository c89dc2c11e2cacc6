"""The semantic stage: guard rules, the pipeline race on the real engine, real Chroma (embedded)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from enhanced_vllm import SimilarityConfig
from enhanced_vllm.semantic.cache import SemanticCache
from enhanced_vllm.semantic.guard import SalienceGuard
from tests.helpers import collect, greedy

GUARD_REJECTS = {
    "number": ("What major events happened in 2002?", "What major events happened in 1992?"),
    "identifier": ("Tell me the history of bridge number f0ac4bb9.", "Tell me the history of bridge number 0fb4e9df."),
    "model number": ("Is the A320 quieter than the Boeing 737?", "Is the A321 quieter than the Boeing 737?"),
    "entity": ("Which is cheaper in Mumbai: Uber or Ola?", "Which is cheaper in Mumbai: Apple or Ola?"),
    "negation": ("Can I register my marriage in India?", "Can't I register my marriage in India?"),
    "direction": ("How do I travel from Paris to Rome?", "How do I travel from Rome to Paris?"),
    "antonym": ("What is the best way to learn Java?", "What is the worst way to learn Java?"),
    "comparison": ("Why is Hollywood better than Bollywood?", "Why is Bollywood better than Hollywood?"),
    "topic": ("How many days are there in a week?", "What is the capital of Japan?"),
}
GUARD_ALLOWS = [
    ("How do I learn Python quickly?", "How can I learn Python quickly?"),
    ("What is the best movie of 2015?", "What is the best film of 2015?"),
    ("How can I lose weight fast?", "What is the fastest way to lose weight?"),
]


@pytest.mark.parametrize("pair", GUARD_REJECTS.values(), ids=GUARD_REJECTS.keys())
def test_guard_rejects_salient_changes(pair):
    assert not SalienceGuard().check(*pair).allowed
    assert not SalienceGuard().check(*reversed(pair)).allowed


@pytest.mark.parametrize("pair", GUARD_ALLOWS)
def test_guard_allows_paraphrases(pair):
    assert SalienceGuard().check(*pair).allowed


def test_guard_fails_closed(monkeypatch):
    guard = SalienceGuard()
    monkeypatch.setattr(guard, "_check", lambda a, b: 1 / 0)
    verdict = guard.check("How do I learn Python quickly?", "How can I learn Python quickly?")
    assert not verdict.allowed and "guard error" in verdict.reason


@pytest.fixture
def cache(tmp_path):
    return SemanticCache(SimilarityConfig(chroma_mode="persistent", chroma_path=tmp_path / "chroma"))


def test_lookup_respects_signature_threshold_and_guard(cache):
    cache.store_sync("How do I learn Python quickly?", "Practice daily.", "sig-a", "t")
    hit = cache.lookup_sync("How can I learn Python quickly?", "sig-a")
    assert hit is not None and hit.answer == "Practice daily." and hit.score >= 0.9
    assert cache.lookup_sync("How can I learn Python quickly?", "sig-b") is None, "other sampling signature"
    cache.store_sync("How do I travel from Paris to Rome?", "By train.", "sig-a", "t")
    assert cache.lookup_sync("How do I travel from Rome to Paris?", "sig-a") is None, "the guard decides"
    assert cache.lookup_sync("What is the capital of Peru?", "sig-a") is None, "below the threshold"


def test_a_misses_lookup_embedding_is_reused_to_store_its_answer(cache, monkeypatch):
    embedded = []
    embed = cache.embedder.embed
    monkeypatch.setattr(cache.embedder, "embed", lambda texts: embedded.extend(texts) or embed(texts))
    question = f"How do I grow {uuid.uuid4().hex[:6]} tomatoes indoors in winter?"
    assert cache.lookup_sync(question, "sig") is None
    cache.store_sync(question, "With a grow light.", "sig", "t")
    assert embedded == [question]
    assert cache.lookup_sync(question, "sig").answer == "With a grow light."


def test_short_questions_need_a_closer_match(cache):
    """Per-entry thresholds: 0.8 in general, 0.93 when either question has fewer than 8 words."""
    assert cache.threshold_for("Is coffee healthy?") == 0.93
    assert cache.threshold_for("What are the health benefits of drinking green tea every day?") == 0.8
    cache.store_sync("What are the health benefits of drinking green tea every day?", "Many.", "sig", "t")
    long_paraphrase = cache.lookup_sync("Is drinking green tea every day good for your health?", "sig")
    assert long_paraphrase is not None and 0.8 <= long_paraphrase.score < 0.93
    cache.store_sync("How do I learn Spanish?", "Practice.", "sig", "t")
    assert cache.lookup_sync("How do I study Spanish?", "sig") is None, "short: cosine ~0.89 is not enough"


def test_vector_dimension_is_validated_against_the_model():
    from enhanced_vllm import ConfigError

    with pytest.raises(ConfigError, match="384"):
        SemanticCache(SimilarityConfig(chroma_mode="ephemeral", vector_dimension=768))


def test_bfloat16_embeddings_match_float32():
    from enhanced_vllm.embeddings import Embedder, resolve_dtype

    assert resolve_dtype("float32", "cuda") == "float32" and resolve_dtype("auto", "cuda") == "bfloat16"
    texts = ["How do I learn Python quickly?", "Which is cheaper in Mumbai: Uber or Ola?"]
    full, half = Embedder(dtype="float32"), Embedder(dtype="bfloat16")
    assert (full.dtype, half.dtype) == ("float32", "bfloat16")
    full_vectors, half_vectors = full.embed(texts), half.embed(texts)
    assert half_vectors.dtype == full_vectors.dtype == "float32"
    assert (full_vectors * half_vectors).sum(axis=1).min() > 0.995  # cosine between the two encodings


def test_batch_search_deduplicates_and_sorts(cache):
    for answer in ("a1", "a2"):  # the same question stored twice
        cache.store_sync("How do I learn Python quickly?", answer, "s", "t")
    cache.store_sync("How do I learn Python well?", "a3", "s", "t")
    cache.store_sync("Where is the Eiffel Tower?", "Paris", "s", "t")
    python, tower = cache.batch_search(
        ["How can I learn Python fast?", "Where is the Eiffel tower located?"], k=5, threshold=0.5
    )
    questions = [r.question for r in python]
    assert len(questions) == len(set(questions)) == 2 and "Where is the Eiffel Tower?" not in questions
    assert [r.score for r in python] == sorted((r.score for r in python), reverse=True)
    assert tower[0].answer == "Paris"


def test_semantic_ttl(tmp_path):
    cache = SemanticCache(SimilarityConfig(chroma_mode="persistent", chroma_path=tmp_path / "c", ttl=0.5))
    cache.store_sync("How do I learn Python quickly?", "Practice.", "s", "t")
    assert cache.lookup_sync("How can I learn Python quickly?", "s") is not None
    time.sleep(0.7)
    assert cache.lookup_sync("How can I learn Python quickly?", "s") is None


def test_clear_by_tenant(cache):
    cache.store_sync("How do I learn Python quickly?", "A", "s1", "alice")
    cache.store_sync("How do I learn Rust quickly?", "B", "s2", "bob")
    cache.clear("alice")
    assert cache.lookup_sync("How can I learn Python quickly?", "s1") is None
    assert cache.lookup_sync("How can I learn Rust quickly?", "s2") is not None


def test_persistence_across_restart(tmp_path):
    path = tmp_path / "persist"
    first = SemanticCache(SimilarityConfig(chroma_mode="persistent", chroma_path=path))
    first.store_sync("How do I learn Python quickly?", "Practice daily.", "s", "t")
    first.close()  # the first process's store is gone, as in a restart
    script = textwrap.dedent(
        f"""
        from enhanced_vllm import SimilarityConfig
        from enhanced_vllm.semantic.cache import SemanticCache
        cache = SemanticCache(SimilarityConfig(chroma_mode="persistent", chroma_path={str(path)!r}))
        hit = cache.lookup_sync("How can I learn Python quickly?", "s")
        print(hit.answer if hit else "MISS")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "Practice daily.", result.stderr[-2000:]


async def test_paraphrase_hit_end_to_end_through_generate(semantic_llm):
    llm = semantic_llm
    topic = uuid.uuid4().hex[:4]
    params = greedy(max_tokens=12, ignore_eos=True)
    first = await collect(llm, f"How do I learn the {topic} language quickly?", params, "first")
    await llm.flush_cache_writes()
    hit = await collect(llm, f"How can I learn the {topic} language quickly?", params, "para")
    assert len(hit) == 1 and hit[0].finished and hit[0].request_id == "para"
    meta = hit[0].metadata
    assert meta["cache_level"] == "semantic" and meta["cached"] is True and meta["similarity"] >= 0.9
    assert meta["matched_question"] == f"How do I learn the {topic} language quickly?"
    assert hit[0].text == first[-1].text
    await asyncio.sleep(0.1)
    assert not llm.output_processor.has_unfinished_requests(), "the raced engine request was aborted"
    assert llm.stats.hits["semantic"] == 1
    again = await collect(llm, f"How can I learn the {topic} language quickly?", params)
    assert again[-1].metadata["cache_level"] == "memory", "a semantic hit also fills the exact levels"


async def test_no_semantic_hit_across_signatures_tenants_or_guard(semantic_llm):
    llm = semantic_llm  # ignore_eos: the engine must not finish before the lookup answers
    topic = uuid.uuid4().hex[:4]
    question = f"How do I travel from Paris to the {topic} museum?"
    [o async for o in llm.generate_enhanced(question, greedy(max_tokens=8, ignore_eos=True), tenant="alice")]
    await llm.flush_cache_writes()
    paraphrase = f"How can I travel from Paris to the {topic} museum?"
    other_params = [
        o async for o in llm.generate_enhanced(paraphrase, greedy(max_tokens=9, ignore_eos=True), tenant="alice")
    ]
    other_tenant = [
        o async for o in llm.generate_enhanced(paraphrase, greedy(max_tokens=8, ignore_eos=True), tenant="bob")
    ]
    reversed_direction = f"How do I travel from the {topic} museum to Paris?"
    guarded = [
        o
        async for o in llm.generate_enhanced(reversed_direction, greedy(max_tokens=8, ignore_eos=True), tenant="alice")
    ]
    await llm.flush_cache_writes()  # a lookup slower than the engine loses the race (the engine answers)
    same = [o async for o in llm.generate_enhanced(paraphrase, greedy(max_tokens=8, ignore_eos=True), tenant="alice")]
    assert other_params[-1].metadata["cached"] is False
    assert other_tenant[-1].metadata["cached"] is False
    assert guarded[-1].metadata["cached"] is False
    assert same[-1].metadata["cache_level"] == "semantic"


async def test_streaming_miss_is_unchanged_by_the_race(semantic_llm):
    from vllm.sampling_params import RequestOutputKind

    params = greedy(max_tokens=16, kind=RequestOutputKind.DELTA, ignore_eos=True)
    outputs = await collect(semantic_llm, f"Tell me about the {uuid.uuid4().hex[:6]} river.", params)
    assert sum(len(o.outputs[0].token_ids) for o in outputs) == 16 and len(outputs) > 1
    assert outputs[-1].finished and outputs[-1].metadata["cached"] is False


async def test_engine_answers_when_the_lookup_loses_the_race(semantic_llm, monkeypatch):
    llm = semantic_llm
    topic = uuid.uuid4().hex[:4]
    params = greedy(max_tokens=12, ignore_eos=True)
    await collect(llm, f"How do I paint a {topic} wall quickly?", params)
    await llm.flush_cache_writes()
    real_lookup = llm.semantic.lookup

    async def slow_lookup(*args):
        await asyncio.sleep(1.0)  # slower than the engine's first token plus the hold budget
        return await real_lookup(*args)

    monkeypatch.setattr(llm.semantic, "lookup", slow_lookup)
    llm.similarity_config = llm.similarity_config.model_copy(update={"max_hold_ms": 0})
    outputs = await collect(llm, f"How can I paint a {topic} wall quickly?", params)
    assert outputs[-1].metadata["cached"] is False and outputs[-1].outputs[0].finish_reason == "length"
    await asyncio.sleep(1.2)
    assert llm.stats.hits["semantic"] == 1, "the lookup hit, but too late: the engine's answer streamed"


def _dev_rows(name: str, count: int) -> list[dict]:
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    if not shared.exists():
        pytest.skip("../shared/data is not beside this checkout")
    return [json.loads(line) for line in shared.joinpath(name).read_text().splitlines()[:count]]


def test_the_vectorised_decision_is_the_stage_s_own_pair_by_pair(cache):
    """The curve and the held-out estimate read ``operating_point.decide``; it must say what a
    lookup through the stage says, for every pair, at the shipped point and at others."""
    from enhanced_vllm.semantic import operating_point

    rows = _dev_rows("paraphrase_dev.jsonl", 80) + _dev_rows("adversarial_dev.jsonl", 40)
    features = operating_point.PairFeatures.of(cache, rows)
    for threshold, short in ((0.8, 0.93), (0.75, None), (0.86, 0.9)):
        config = cache.config.model_copy(update={"similarity_threshold": threshold, "short_question_threshold": short})
        stage = SemanticCache(config, embedder=cache.embedder, store=cache.store)
        for i, row in enumerate(rows):
            stage.store_sync(row["q1"], "a", f"pair-{threshold}-{i}", "t")
        looked_up = [stage.lookup_sync(r["q2"], f"pair-{threshold}-{i}") is not None for i, r in enumerate(rows)]
        assert decide_list(operating_point.decide(features, threshold, short, config.short_question_words)) == looked_up
    assert sum(looked_up) > 0 and not all(looked_up)


def decide_list(hits) -> list[bool]:
    return [bool(h) for h in hits]


def test_eval_paraphrase_command(tmp_path):
    """The evaluation command on a slice of the dev sets: its output format and the guard's effect."""
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    if not shared.exists():
        pytest.skip("../shared/data is not beside this checkout")
    rows = shared.joinpath("paraphrase_dev.jsonl").read_text().splitlines()[:60]
    rows += shared.joinpath("adversarial_dev.jsonl").read_text().splitlines()[:60]
    data = tmp_path / "slice.jsonl"
    data.write_text("\n".join(rows) + "\n")
    predictions = tmp_path / "pred.jsonl"
    command = [sys.executable, "-m", "enhanced_vllm.cli", "eval", "paraphrase", "--data", str(data)]
    result = subprocess.run([*command, "--predictions", str(predictions), "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    keys = {"n", "hits", "precision", "recall", "f1", "false_hit_rate", "lookup_ms_p50"}
    assert keys <= summary.keys() and keys <= summary["baseline"].keys() and summary["n"] == 120
    assert summary["false_hit_rate"] < summary["baseline"]["false_hit_rate"]
    out = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert len(out) == 120 and set(out[0]) == {"q1", "q2", "hit"} and sum(r["hit"] for r in out) == summary["hits"]
    (shipped_point,) = [point for point in summary["curve"] if point["threshold"] == summary["similarity_threshold"]]
    assert shipped_point["precision"] == summary["precision"] and shipped_point["recall"] == summary["recall"]
    held_out = summary["held_out"]
    assert (held_out["folds"], held_out["repeats"]) == (5, 4) and {"chosen", "shipped"} <= held_out.keys()
    for estimate in (held_out["chosen"], held_out["shipped"]):
        assert estimate["precision"]["min"] <= estimate["precision"]["mean"] <= estimate["precision"]["max"]


async def test_semantic_stores_under_overload_are_skipped_and_counted(engine, tmp_path, monkeypatch):
    from enhanced_vllm import CacheConfig, HandlerConfig
    from tests.helpers import EXACT_ONLY, unique_prompt

    similarity = SimilarityConfig(chroma_path=tmp_path / "chroma", max_pending_stores=2)
    engine.configure(CacheConfig(), HandlerConfig(), similarity)
    store, gate = engine.semantic.store, threading.Event()
    real_add = store.add_many
    monkeypatch.setattr(store, "add_many", lambda rows: gate.wait(10) and real_add(rows))
    try:
        params = greedy(max_tokens=6, ignore_eos=True)
        prompts = [unique_prompt(f"overload {i}") for i in range(8)]
        results = [await collect(engine, p, params) for p in prompts]  # one at a time: stores pile up
        assert all(r[-1].finished and r[-1].metadata["cached"] is False for r in results)
        skipped = engine.stats.snapshot()["semantic_store_skipped"]
        assert skipped >= 4 and engine.semantic.worker.pending_stores <= 2
        gate.set()
        assert await engine.flush_cache_writes()
        assert len(store.index) == len(prompts) - skipped, "what was queued is written, nothing else"
    finally:
        gate.set()
        engine.configure(CacheConfig(), EXACT_ONLY)


def test_prompts_differing_only_in_an_identifier_never_hit(cache):
    """Found in the GPU benchmark: ~1 % of "bridge number <hex tag>" prompts matched another tag,
    whose letter and digit fragments had been compared one by one."""

    def prompt():
        return f"Write a short paragraph about the history of bridge number {uuid.uuid4().hex[:8]}:"

    cache._store_rows([(prompt(), "answer", "s", "t", None, None) for _ in range(300)])
    probes = [(prompt(), "s") for _ in range(600)]
    assert [hit for hit in cache.lookup_many_sync(probes) if hit is not None] == []
