"""Per-request cache control on the real engine: no_cache, no_store, bypass, exact-only, max_age, ttl and
the request's own similarity target (the adapters' per-call ``cache_control``: tests/llamaindex/test_llm.py)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from enhanced_vllm import CacheControl, ConfigError
from tests.helpers import greedy, unique_prompt


async def _final(llm, prompt, cache_control=None, params=None):
    outputs = [o async for o in llm.generate_enhanced(prompt, params or greedy(), cache_control=cache_control)]
    assert outputs[-1].finished and outputs[-1].error is None
    return outputs[-1]


def _engine_requests(llm) -> int:
    return llm.stats.events["engine_requests"]


async def test_no_cache_generates_afresh_and_stores(llm):
    prompt = unique_prompt()
    first = await _final(llm, prompt)
    before = _engine_requests(llm)
    fresh = await _final(llm, prompt, "no-cache")
    assert fresh.metadata["cached"] is False and _engine_requests(llm) == before + 1
    assert fresh.text == first.text  # greedy: the same answer, generated again
    assert (await _final(llm, prompt)).metadata["cache_level"] == "memory"
    assert llm.stats.events["reads_skipped"] >= 1


async def test_no_store_reads_but_writes_nothing(llm):
    stored, unstored = unique_prompt("a stored one"), unique_prompt("an unstored one")
    await _final(llm, stored)
    assert (await _final(llm, stored, {"no_store": True})).metadata["cache_level"] == "memory"
    await _final(llm, unstored, CacheControl(no_store=True))
    assert (await _final(llm, unstored)).metadata["cached"] is False  # the no_store answer was not kept
    assert llm.stats.events["stores_skipped"] >= 2


async def test_bypass_neither_reads_nor_writes(llm):
    prompt = unique_prompt()
    await _final(llm, prompt)
    assert (await _final(llm, prompt, "bypass")).metadata["cached"] is False
    other = unique_prompt()
    await _final(llm, other, {"bypass": True})
    assert (await _final(llm, other)).metadata["cached"] is False


async def test_no_cache_and_no_store_requests_share_no_generation(llm):
    prompt, params = unique_prompt(), greedy(max_tokens=16, ignore_eos=True)
    before, coalesced = _engine_requests(llm), llm.stats.events["coalesced"]
    # a normal leader and a no_cache twin; then a no_store leader and a normal twin
    await asyncio.gather(_final(llm, prompt, None, params), _final(llm, prompt, "no-cache", params))
    other = unique_prompt()
    await asyncio.gather(_final(llm, other, "no-store", params), _final(llm, other, None, params))
    assert _engine_requests(llm) == before + 4
    assert llm.stats.events["coalesced"] == coalesced


async def test_exact_only_skips_the_semantic_stage(semantic_llm):
    params = greedy(max_tokens=10, ignore_eos=True)
    topic = uuid.uuid4().hex[:4]
    first = await _final(semantic_llm, f"How do I learn the {topic} dance quickly?", None, params)
    await semantic_llm.flush_cache_writes()
    paraphrase = f"How can I learn the {topic} dance quickly?"
    for control in ({"semantic": False, "no_store": True}, "no-semantic, no-store"):
        assert (await _final(semantic_llm, paraphrase, control, params)).metadata["cached"] is False
    served = await _final(semantic_llm, paraphrase, None, params)
    assert served.metadata["cache_level"] == "semantic" and served.text == first.text


async def test_max_age_refuses_older_answers_and_refreshes_them(redis_llm):
    llm, prompt = redis_llm, unique_prompt()
    first = await _final(llm, prompt)
    assert (await _final(llm, prompt, "max-age=3600")).metadata["cache_level"] == "memory"
    await asyncio.sleep(1.2)
    before, too_old = _engine_requests(llm), llm.stats.events["too_old"]
    refreshed = await _final(llm, prompt, {"max_age": 1})
    assert refreshed.metadata["cached"] is False and _engine_requests(llm) == before + 1
    assert llm.stats.events["too_old"] == too_old + 2 and refreshed.text == first.text  # memory and Redis
    assert (await _final(llm, prompt, "max-age=1")).metadata["cache_level"] == "memory"  # the fresh copy
    await llm.flush_cache_writes()
    llm.memory.clear()
    assert (await _final(llm, prompt, "max-age=1")).metadata["cache_level"] == "redis"  # fresh in Redis too


async def test_ttl_is_the_entrys_own_lifetime_in_memory_and_redis(redis_llm):
    llm = redis_llm
    short, default = unique_prompt("a short-lived answer"), unique_prompt("a default answer")

    async def redis_ttl(prompt: str) -> int:
        key = llm.keys.build(prompt, greedy())
        return await llm.redis._client.pttl(llm.redis._full_key(key.tenant, key.digest))

    await _final(llm, short, "ttl=2")
    await llm.flush_cache_writes()
    assert 0 < await redis_ttl(short) <= 2000  # read at once: on a loaded machine a later read may be past it
    assert (await _final(llm, short)).metadata["cache_level"] == "memory"
    await _final(llm, default)
    await llm.flush_cache_writes()
    assert await redis_ttl(default) > 3_000_000
    await asyncio.sleep(2.2)
    assert (await _final(llm, short)).metadata["cached"] is False  # gone from both levels
    assert (await _final(llm, default)).metadata["cache_level"] == "memory"


async def test_semantic_entries_keep_the_requests_ttl_and_max_age(semantic_llm):
    params = greedy(max_tokens=10, ignore_eos=True)
    topic = uuid.uuid4().hex[:4]
    await _final(semantic_llm, f"How do I learn the {topic} dance quickly?", "ttl=1", params)
    await semantic_llm.flush_cache_writes()
    paraphrase = f"How can I learn the {topic} dance quickly?"
    assert (await _final(semantic_llm, paraphrase, "no-store", params)).metadata["cache_level"] == "semantic"
    await asyncio.sleep(1.2)
    assert (await _final(semantic_llm, paraphrase, "no-store", params)).metadata["cached"] is False
    other = uuid.uuid4().hex[:4]
    await _final(semantic_llm, f"How do I learn the {other} dance quickly?", None, params)
    await semantic_llm.flush_cache_writes()
    reworded = f"How can I learn the {other} dance quickly?"
    assert (await _final(semantic_llm, reworded, "max-age=0, no-store", params)).metadata["cached"] is False
    assert (await _final(semantic_llm, reworded, "max-age=60, no-store", params)).metadata["cache_level"] == "semantic"


async def test_a_request_sets_its_own_similarity_target(semantic_llm):
    params = greedy(max_tokens=10, ignore_eos=True)
    await _final(semantic_llm, "What are the health benefits of drinking green tea every day?", None, params)
    await semantic_llm.flush_cache_writes()
    paraphrase = "Is drinking green tea every day good for your health?"  # cosine ~0.88
    for strict in ({"similarity_threshold": 0.9, "no_store": True}, "target-precision=0.95, no-store"):
        assert (await _final(semantic_llm, paraphrase, strict, params)).metadata["cached"] is False
    served = await _final(semantic_llm, paraphrase, "similarity-threshold=0.85", params)
    assert served.metadata["cache_level"] == "semantic" and served.metadata["similarity"] >= 0.85


async def test_requests_with_different_controls_share_no_generation(llm):
    prompt, params = unique_prompt(), greedy(max_tokens=16, ignore_eos=True)
    before, coalesced = _engine_requests(llm), llm.stats.events["coalesced"]
    await asyncio.gather(*(_final(llm, prompt, control, params) for control in (None, "ttl=5", "ttl=5")))
    assert _engine_requests(llm) == before + 2 and llm.stats.events["coalesced"] == coalesced + 1


@pytest.mark.parametrize(
    "bad",
    [
        "no-caching",
        {"no_cache": "sometimes"},
        {"ttl": -5},
        "max-age=soon",
        "max-age",
        {"similarity_threshold": 0.9, "target_precision": 0.9},
        {"target_precision": 0.99},
        3,
    ],
)
async def test_bad_cache_control_is_a_config_error_and_nothing_runs(llm, bad):
    before = _engine_requests(llm)
    with pytest.raises(ConfigError):
        await llm.add_request("bad-control", unique_prompt(), greedy(), cache_control=bad)
    assert _engine_requests(llm) == before


def test_directives_parse():
    assert CacheControl.of("no-cache, no-store") == CacheControl(no_cache=True, no_store=True)
    assert CacheControl.of("no_semantic").semantic is False
    assert not CacheControl.of("bypass").reads and not CacheControl.of("bypass").writes
    assert CacheControl.of(None).reads and CacheControl.of(None).writes
    assert CacheControl.of("max-age=60, ttl=600") == CacheControl(max_age=60, ttl=600)


def test_request_thresholds_keep_the_short_question_rule():
    from enhanced_vllm import SimilarityConfig
    from enhanced_vllm.config import OPERATING_POINTS

    config = SimilarityConfig(similarity_threshold=0.8, short_question_threshold=0.93)
    assert CacheControl().thresholds(config) == (0.8, 0.93)
    assert CacheControl(similarity_threshold=0.7).thresholds(config) == (0.7, 0.93)
    assert CacheControl(similarity_threshold=0.95).thresholds(config) == (0.95, 0.95)
    assert CacheControl(target_precision=0.9).thresholds(config) == OPERATING_POINTS[0.90]


def test_freshness():
    assert CacheControl().fresh(None, 100.0)
    assert CacheControl(max_age=10).fresh(95.0, 100.0) and not CacheControl(max_age=10).fresh(80.0, 100.0)
    assert not CacheControl(max_age=10).fresh(None, 100.0), "an entry of unknown age is never fresh enough"
