"""Invalidation on the real engine with Redis and the semantic stage: by tenant, by exact request, by a
question's semantic neighbourhood (a dry run lists and deletes nothing, the real one deletes exactly
that), and the namespace epoch (across processes: tests/reliability/test_shared_redis.py)."""

from __future__ import annotations

import uuid

import pytest

from enhanced_vllm import CacheConfig, CacheType, HandlerConfig, SimilarityConfig
from tests.helpers import EXACT_ONLY, greedy

PARAMS = greedy(max_tokens=8, ignore_eos=True)
TANGO = "How do I learn to dance the tango quickly and well?"
TANGO_REWORDED = "How can I learn to dance the tango quickly and well?"
PERU = "What is the capital city of the country of Peru?"


@pytest.fixture
async def full_llm(engine, redis_server, tmp_path):
    """The shared engine with memory, Redis (a prefix of its own) and the semantic stage."""
    if not redis_server.running:
        redis_server.start()
    cache = CacheConfig(cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix=uuid.uuid4().hex)
    similarity = SimilarityConfig(chroma_mode="persistent", chroma_path=tmp_path / "chroma", max_hold_ms=5000)
    engine.configure(cache, HandlerConfig(), similarity)
    yield engine
    await engine.flush_cache_writes()
    engine.configure(CacheConfig(), EXACT_ONLY)


async def _ask(llm, prompt, tenant=None, control=None):
    outputs = [o async for o in llm.generate_enhanced(prompt, PARAMS, tenant=tenant, cache_control=control)]
    assert outputs[-1].error is None
    return outputs[-1]


async def _stored(llm, *asked):
    for prompt, tenant in asked:
        await _ask(llm, prompt, tenant)
    await llm.flush_cache_writes()


async def _levels(llm, prompt, tenant=None):
    """Where the exact request is stored: memory, Redis; and whether its question is a semantic hit."""
    key = llm.keys.build(prompt, PARAMS, tenant=tenant)
    in_memory = llm.memory.lookup(key.digest) is not None
    in_redis = await llm.redis.lookup(key.tenant, key.digest) is not None
    return in_memory, in_redis


def _semantic_hit(llm, question, tenant=None):
    signature = llm.keys.build(question, PARAMS, tenant=tenant, question=llm.questions.find(question, None)).signature
    return llm.semantic.lookup_sync(question, signature) is not None


async def test_tenant_dry_run_lists_everything_and_deletes_nothing_then_the_real_one_exactly_that(full_llm):
    llm = full_llm
    await _stored(llm, (TANGO, "alice"), (PERU, "alice"), (TANGO, "bob"))
    dry = await llm.invalidate_tenant("alice", dry_run=True)
    assert dry.dry_run and not dry.errors
    assert sorted(level for level, tenant, _ in dry.exact) == ["memory", "memory", "redis", "redis"]
    assert {tenant for _, tenant, _ in dry.exact} == {"alice"}
    assert sorted(entry["question"] for entry in dry.semantic) == sorted([TANGO, PERU])
    assert await _levels(llm, TANGO, "alice") == (True, True) and _semantic_hit(llm, TANGO_REWORDED, "alice")

    done = await llm.invalidate_tenant("alice")
    assert (sorted(done.exact), done.semantic) == (sorted(dry.exact), dry.semantic)
    for prompt in (TANGO, PERU):
        assert await _levels(llm, prompt, "alice") == (False, False)
        assert not _semantic_hit(llm, prompt, "alice")
    assert await _levels(llm, TANGO, "bob") == (True, True) and _semantic_hit(llm, TANGO_REWORDED, "bob")
    assert (await llm.invalidate_tenant("alice")).as_dict()["exact_count"] == 0


async def test_one_request_is_deleted_from_every_level_and_nothing_else(full_llm):
    llm = full_llm
    await _stored(llm, (TANGO, None), (PERU, None))
    dry = await llm.invalidate_request(TANGO, PARAMS, dry_run=True)
    assert [level for level, _, _ in dry.exact] == ["memory", "redis"]
    assert [entry["question"] for entry in dry.semantic] == [TANGO]
    assert await _levels(llm, TANGO) == (True, True)

    await llm.invalidate_request(TANGO, PARAMS)
    assert await _levels(llm, TANGO) == (False, False) and not _semantic_hit(llm, TANGO_REWORDED)
    assert await _levels(llm, PERU) == (True, True) and _semantic_hit(llm, PERU)
    again = await _ask(llm, TANGO)
    assert again.metadata["cached"] is False


async def test_a_neighbourhood_goes_with_every_exact_copy_of_its_answers(full_llm):
    llm = full_llm
    await _stored(llm, (TANGO, None), (PERU, None))
    served = await _ask(llm, TANGO_REWORDED)  # a semantic hit, copied into the exact levels
    assert served.metadata["cache_level"] == "semantic"
    await llm.flush_cache_writes()

    dry = await llm.invalidate_similar("What is the best way to learn the tango?", similarity=0.6, dry_run=True)
    assert [entry["question"] for entry in dry.semantic] == [TANGO] and dry.semantic[0]["similarity"] >= 0.6
    assert sorted(level for level, _, _ in dry.exact) == ["memory", "memory", "redis", "redis"]  # TANGO and its copy
    assert await _levels(llm, TANGO_REWORDED) == (True, True)

    done = await llm.invalidate_similar("What is the best way to learn the tango?", similarity=0.6)
    assert sorted(done.exact) == sorted(dry.exact) and not done.errors
    for prompt in (TANGO, TANGO_REWORDED):
        assert await _levels(llm, prompt) == (False, False)
    assert not _semantic_hit(llm, TANGO_REWORDED)
    assert await _levels(llm, PERU) == (True, True) and _semantic_hit(llm, PERU)


async def test_an_epoch_bump_retires_every_entry_at_once(full_llm):
    llm = full_llm
    await _stored(llm, (TANGO, None), (PERU, "alice"))
    epoch = await llm.bump_epoch()
    await llm.flush_cache_writes()
    assert epoch == llm.keys.epoch == await llm.epochs.read() and llm.epochs.source == "redis"
    assert (await _ask(llm, TANGO)).metadata["cached"] is False
    await llm.flush_cache_writes()
    assert (await _ask(llm, TANGO_REWORDED)).metadata["cache_level"] == "semantic"  # on the new entry only
    assert (await _ask(llm, PERU, "alice")).metadata["cached"] is False
    assert [m["epoch"] for m in llm.semantic.store.find({"question": TANGO})] == [epoch]  # the old one is gone


async def test_invalidation_reports_a_redis_that_is_down_and_still_clears_the_rest(full_llm, redis_server):
    llm = full_llm
    await _stored(llm, (TANGO, "alice"))
    redis_server.stop()
    try:
        done = await llm.invalidate_tenant("alice")
    finally:
        redis_server.start()
    assert done.errors and done.errors[0].startswith("redis")
    assert [level for level, _, _ in done.exact] == ["memory"] and len(done.semantic) == 1
    assert not _semantic_hit(llm, TANGO_REWORDED, "alice")
