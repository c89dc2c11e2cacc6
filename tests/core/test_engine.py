"""The request pipeline on the real engine: misses, hits, metadata, prompt forms, failures."""

from __future__ import annotations

import asyncio

import pytest
from vllm import SamplingParams
from vllm.outputs import RequestOutput
from vllm.sampling_params import RequestOutputKind

from enhanced_vllm import CacheConfig, EnhancedRequestOutputCollector, HandlerConfig
from enhanced_vllm.outputs import EnhancedRequestOutput
from tests.helpers import EXACT_ONLY, collect, greedy, unique_prompt

KINDS = [RequestOutputKind.CUMULATIVE, RequestOutputKind.DELTA, RequestOutputKind.FINAL_ONLY]


def full_text(outputs: list, kind: RequestOutputKind) -> str:
    if kind == RequestOutputKind.DELTA:
        return "".join(o.outputs[0].text for o in outputs)
    return outputs[-1].outputs[0].text


async def test_add_request_miss_then_memory_hit(llm):
    prompt, params = unique_prompt(), greedy()
    miss = await llm.add_request("req-miss", prompt, params)
    assert isinstance(miss, EnhancedRequestOutputCollector)
    miss_outputs = [o async for o in miss.aiter()]
    hit = await llm.add_request("req-hit", prompt, params)
    hit_outputs = [o async for o in hit.aiter()]

    final_miss, final_hit = miss_outputs[-1], hit_outputs[-1]
    assert final_miss.finished and final_hit.finished
    assert final_miss.text and final_hit.text == final_miss.text
    assert final_hit.outputs[0].token_ids == final_miss.outputs[0].token_ids
    assert final_miss.metadata["cached"] is False and final_miss.metadata["cache_level"] is None
    assert final_hit.metadata["cached"] is True and final_hit.metadata["cache_hit"] is True
    assert final_hit.metadata["cache_level"] == "memory"
    assert final_hit.request_id == "req-hit" and final_hit.metadata["request_id"] == "req-hit"
    assert final_miss.request_id == "req-miss"
    assert final_hit.metadata["processing_time"] < final_miss.metadata["processing_time"]
    assert {"nlp_result", "similar_results"} <= final_hit.metadata.keys()
    assert final_hit.error is None
    assert llm.stats.events["engine_requests"] == 1


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
async def test_generate_streams_misses_and_serves_hits(llm, kind):
    prompt, params = unique_prompt("a river"), greedy(max_tokens=10, kind=kind)
    miss = await collect(llm, prompt, params, "gen-miss")
    hit = await collect(llm, prompt, params, "gen-hit")
    assert all(isinstance(o, RequestOutput) and isinstance(o, EnhancedRequestOutput) for o in miss + hit)
    if kind != RequestOutputKind.FINAL_ONLY:
        assert len(miss) > 1, "a miss streams token by token"
    assert [o.finished for o in miss][-1] and not any(o.finished for o in miss[:-1])
    assert len(hit) == 1 and hit[0].finished
    assert full_text(miss, kind) == full_text(hit, kind) != ""
    assert all(o.request_id == "gen-miss" for o in miss) and hit[0].request_id == "gen-hit"
    assert all(o.metadata["cache_level"] is None for o in miss)
    assert hit[0].metadata["cache_level"] == "memory"


async def test_delta_and_cumulative_requests_share_one_cache_entry(llm):
    prompt = unique_prompt("a clock")
    delta = await collect(llm, prompt, greedy(kind=RequestOutputKind.DELTA))
    cumulative = await collect(llm, prompt, greedy(kind=RequestOutputKind.CUMULATIVE))
    assert cumulative[-1].metadata["cache_level"] == "memory"
    assert cumulative[-1].text == full_text(delta, RequestOutputKind.DELTA)


async def test_generate_enhanced_and_token_id_prompts(llm):
    prompt = unique_prompt("a violin")
    token_ids = llm.tokenizer.encode(prompt)
    by_ids = {"prompt_token_ids": token_ids}
    first = [o async for o in llm.generate_enhanced(by_ids, greedy())]
    second = [o async for o in llm.generate_enhanced(by_ids, greedy())]
    assert first[-1].metadata["cached"] is False and second[-1].metadata["cache_level"] == "memory"
    assert second[-1].outputs[0].token_ids == first[-1].outputs[0].token_ids
    text_form = [o async for o in llm.generate_enhanced(prompt, greedy())]
    assert text_form[-1].metadata["cached"] is False, "text and token-id prompts are different keys"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
async def test_n_greater_than_one_is_cached_with_all_completions(llm, kind):
    prompt = unique_prompt("a kite")
    params = SamplingParams(n=3, temperature=0.8, seed=7, max_tokens=6, output_kind=kind)
    miss = await collect(llm, prompt, params)
    hit = await collect(llm, prompt, params)
    assert miss[-1].finished and hit[-1].metadata["cache_level"] == "memory"

    def texts(outputs):  # vLLM streams each completion of n > 1 on its own (by index)
        by_index: dict[int, str] = {}
        for out in outputs:
            for c in out.outputs:
                previous = by_index.get(c.index, "") if kind == RequestOutputKind.DELTA else ""
                by_index[c.index] = previous + c.text
        return by_index

    assert sorted(texts(miss)) == [0, 1, 2]
    assert texts(hit) == texts(miss)


async def test_unseeded_sampling_bypasses_the_cache(llm):
    prompt = unique_prompt("a cloud")
    params = greedy(max_tokens=4)
    params.temperature = 0.9
    await collect(llm, prompt, params)
    again = await collect(llm, prompt, params)
    assert again[-1].metadata["cached"] is False
    assert llm.stats.events["bypassed"] == 2 and llm.stats.events["stored"] == 0


async def test_caching_disabled_sends_everything_to_the_engine(llm, engine):
    engine.configure(CacheConfig(), HandlerConfig(cache_enabled=False))
    prompt = unique_prompt("a pebble")
    await collect(llm, prompt, greedy(max_tokens=4))
    again = await collect(llm, prompt, greedy(max_tokens=4))
    assert again[-1].metadata["cached"] is False and llm.stats.events["engine_requests"] == 2


async def test_failed_request_ends_with_error_output_and_is_not_cached(llm):
    too_long = "word " * 5000  # longer than max_model_len
    outputs = [o async for o in llm.generate_enhanced(too_long, greedy())]
    assert len(outputs) == 1 and outputs[0].finished
    assert outputs[0].error and "length" in outputs[0].error.lower()
    assert len(llm.memory) == 0
    with pytest.raises(Exception, match=r"(?i)length"):
        await collect(llm, too_long, greedy())


async def test_ttl_expiry_on_the_real_engine(llm, engine):
    engine.configure(CacheConfig(ttl=0.5), EXACT_ONLY)
    prompt = unique_prompt("a snowflake")
    await collect(llm, prompt, greedy(max_tokens=4))
    assert (await collect(llm, prompt, greedy(max_tokens=4)))[-1].metadata["cached"] is True
    await asyncio.sleep(0.7)
    assert (await collect(llm, prompt, greedy(max_tokens=4)))[-1].metadata["cached"] is False


async def test_lru_bound_on_the_real_engine(llm, engine):
    engine.configure(CacheConfig(memory_cache_size=2), EXACT_ONLY)
    prompts = [unique_prompt(f"bird {i}") for i in range(3)]
    for prompt in prompts:
        await collect(llm, prompt, greedy(max_tokens=3))
    assert len(llm.memory) == 2
    assert (await collect(llm, prompts[0], greedy(max_tokens=3)))[-1].metadata["cached"] is False
    assert (await collect(llm, prompts[2], greedy(max_tokens=3)))[-1].metadata["cached"] is True


async def test_corrupt_memory_entry_is_a_miss_and_is_replaced(llm):
    prompt, params = unique_prompt("a mirror"), greedy(max_tokens=4)
    await collect(llm, prompt, params)
    key = llm.keys.build(prompt, params)
    llm.memory.store(key.digest, b"r\xc1 not msgpack")
    outputs = await collect(llm, prompt, params)
    assert outputs[-1].metadata["cached"] is False and outputs[-1].text
    assert llm.stats.events["corrupt"] == 1
    assert (await collect(llm, prompt, params))[-1].metadata["cache_level"] == "memory"


async def test_tenants_do_not_share_entries(llm):
    prompt, params = unique_prompt("a tower"), greedy(max_tokens=4)
    [o async for o in llm.generate_enhanced(prompt, params, tenant="alice")]
    bob = [o async for o in llm.generate_enhanced(prompt, params, tenant="bob")]
    alice = [o async for o in llm.generate_enhanced(prompt, params, tenant="alice")]
    assert bob[-1].metadata["cached"] is False and alice[-1].metadata["cached"] is True
