"""Per-request cache control on the real engine: no_cache, no_store, bypass, exact-only (the adapters'
per-call ``cache_control``: tests/llamaindex/test_llm.py)."""

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


@pytest.mark.parametrize("bad", ["no-caching", {"no_cache": "sometimes"}, {"ttl": 5}, 3])
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
