"""Semantic lookup telemetry on the real stage (real embedder, embedded Chroma, the guard): the nearest
similarity of hits and misses, the reason for a rejection in Prometheus, in an OpenTelemetry span, and in
the handler's ``get_stats()``."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from enhanced_vllm import CacheConfig, EnhancedVLLMHandler, HandlerConfig, SimilarityConfig
from enhanced_vllm.semantic.cache import SemanticCache
from tests.helpers import EXACT_ONLY, collect, greedy

STORED = "Is it safe to drink coffee every day while pregnant?"
NEGATED = "Is it not safe to drink coffee every day while pregnant?"
REWORDED = "Is it safe for me to drink coffee every day while pregnant?"


@pytest.fixture(scope="module")
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # once per process: the stage's tracer delegates to it from now on
    return exporter


def _decisions(collection: str, outcome: str, reason: str) -> float:
    labels = {"collection": collection, "outcome": outcome, "reason": reason}
    return REGISTRY.get_sample_value("enhanced_vllm_semantic_decisions_total", labels) or 0.0


def test_a_negation_pair_is_rejected_with_its_reason_everywhere(tmp_path, spans):
    collection = "telemetry_negation"
    config = SimilarityConfig(chroma_mode="persistent", chroma_path=tmp_path / "c", collection_name=collection)
    cache = SemanticCache(config)
    try:
        assert cache.lookup_sync(STORED, "s") is None  # nothing stored yet
        cache.store_sync(STORED, "Ask your doctor.", "s", "t")
        spans.clear()
        assert cache.lookup_sync(NEGATED, "s") is None
        assert cache.lookup_sync(REWORDED, "s").question == STORED
    finally:
        cache.close()
    assert _decisions(collection, "miss", "no entry") == 1
    assert _decisions(collection, "miss", "negation differs") == 1
    assert _decisions(collection, "hit", "") == 1
    (rejection,) = cache.telemetry.recent_rejections()
    assert rejection["question"] == NEGATED and rejection["candidate"] == STORED
    assert rejection["reason"] == "negation differs" and rejection["similarity"] > config.similarity_threshold
    nearest = REGISTRY.get_sample_value(
        "enhanced_vllm_semantic_nearest_similarity_count", {"collection": collection, "outcome": "miss"}
    )
    assert nearest == 1, "the miss's nearest similarity is observed (the empty lookup had none)"
    recorded = [span.attributes for span in spans.get_finished_spans() if span.name == "semantic.lookup"]
    assert [a["enhanced_vllm.reason"] for a in recorded] == ["negation differs", ""]
    assert [a["enhanced_vllm.outcome"] for a in recorded] == ["miss", "hit"]
    assert recorded[0]["enhanced_vllm.nearest_similarity"] == pytest.approx(rejection["similarity"], abs=1e-4)


async def test_get_stats_shows_the_last_rejections(engine, tmp_path):
    similarity = SimilarityConfig(chroma_mode="persistent", chroma_path=tmp_path / "c", max_hold_ms=5000)
    engine.configure(handler_config=HandlerConfig(), similarity_config=similarity)
    try:
        params = greedy(max_tokens=4, ignore_eos=True)
        await collect(engine, STORED, params)
        await engine.flush_cache_writes()
        served = await collect(engine, NEGATED, params)
        assert served[-1].metadata["cached"] is False
        stats = EnhancedVLLMHandler(llm=engine).get_stats()
        assert [(r["question"], r["reason"]) for r in stats["semantic_rejections"]] == [(NEGATED, "negation differs")]
    finally:
        engine.configure(CacheConfig(), EXACT_ONLY)
