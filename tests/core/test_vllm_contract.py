"""What vLLM's tests/v1/engine/test_async_llm.py expects of AsyncLLM (load, abort, n > 1, finished
flag, mid-stream cancellation, request ids), checked for misses, hits and shared generations."""

from __future__ import annotations

import asyncio

from vllm.sampling_params import RequestOutputKind

from tests.helpers import collect, greedy, unique_prompt


async def count_tokens(llm, prompt, params, request_id):
    count, last = 0, None
    async for out in llm.generate(prompt, params, request_id):
        count += len(out.outputs[0].token_ids) if params.output_kind == RequestOutputKind.DELTA else 0
        last = out
    assert last.finished and last.request_id == request_id
    return count if params.output_kind == RequestOutputKind.DELTA else len(last.outputs[0].token_ids), last


async def test_load_many_concurrent_unique_requests(llm):
    params = greedy(max_tokens=12, kind=RequestOutputKind.DELTA, ignore_eos=True)
    ids = [f"load-{i}" for i in range(16)]
    results = await asyncio.gather(*(count_tokens(llm, unique_prompt(), params, rid) for rid in ids))
    assert [count for count, _ in results] == [12] * 16
    assert [last.request_id for _, last in results] == ids
    assert not llm.output_processor.has_unfinished_requests()


async def test_single_flight_many_identical_requests_one_engine_request(llm):
    prompt = unique_prompt("a comet")
    params = greedy(max_tokens=10, kind=RequestOutputKind.DELTA, ignore_eos=True)
    ids = [f"burst-{i}" for i in range(8)]
    results = await asyncio.gather(*(collect(llm, prompt, params, rid) for rid in ids))
    assert llm.stats.events["engine_requests"] == 1
    assert llm.stats.events["coalesced"] == 7
    texts = {"".join(o.outputs[0].text for o in outputs) for outputs in results}
    assert len(texts) == 1 and texts != {""}
    for rid, outputs in zip(ids, results, strict=True):
        assert all(o.request_id == rid for o in outputs), "each caller keeps its own request id"
        assert outputs[-1].finished and sum(o.finished for o in outputs) == 1
        assert sum(len(o.outputs[0].token_ids) for o in outputs) == 10
    assert sum(outputs[-1].metadata["coalesced"] for outputs in results) == 7
    assert (await collect(llm, prompt, params))[-1].metadata["cache_level"] == "memory"


async def test_late_joiner_catches_up_with_the_stream(llm):
    prompt = unique_prompt("a glacier")
    params = greedy(max_tokens=24, kind=RequestOutputKind.DELTA, ignore_eos=True)
    leader = llm.generate(prompt, params, "leader")
    first = await leader.__anext__()
    joined = asyncio.create_task(collect(llm, prompt, params, "joiner"))
    rest = [o async for o in leader]
    joiner = await joined
    leader_text = first.outputs[0].text + "".join(o.outputs[0].text for o in rest)
    assert "".join(o.outputs[0].text for o in joiner) == leader_text
    assert joiner[-1].metadata["coalesced"] is True and llm.stats.events["engine_requests"] == 1


async def test_mid_stream_cancellation_aborts_engine_and_caches_nothing(llm):
    prompt = unique_prompt("a volcano")
    params = greedy(max_tokens=200, kind=RequestOutputKind.DELTA, ignore_eos=True)

    async def consume():
        async for _ in llm.generate(prompt, params, "cancel-me"):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0.2)
    assert not llm.output_processor.has_unfinished_requests()
    assert len(llm.memory) == 0 and llm.stats.events["stored"] == 0
    assert not llm.flights.by_key


async def test_cancelling_one_of_two_shared_streams_keeps_the_other(llm):
    prompt = unique_prompt("an island")
    params = greedy(max_tokens=30, kind=RequestOutputKind.DELTA, ignore_eos=True)

    async def consume(rid):
        return await count_tokens(llm, prompt, params, rid)

    leaver = asyncio.create_task(consume("leaver"))
    stayer = asyncio.create_task(consume("stayer"))
    await asyncio.sleep(0.3)
    leaver.cancel()
    count, last = await stayer
    assert count == 30 and last.outputs[0].finish_reason == "length"
    assert llm.stats.events["engine_requests"] == 1 and llm.stats.events["stored"] == 1


async def test_explicit_abort_ends_stream_with_abort_finish_reason(llm):
    prompt = unique_prompt("a canyon")
    params = greedy(max_tokens=200, kind=RequestOutputKind.DELTA, ignore_eos=True)
    outputs = []

    async def consume():
        async for out in llm.generate(prompt, params, "abort-me"):
            outputs.append(out)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.5)
    await llm.abort("abort-me")
    await asyncio.wait_for(task, timeout=10)
    assert outputs[-1].finished and outputs[-1].outputs[0].finish_reason == "abort"
    assert not llm.output_processor.has_unfinished_requests()
    assert len(llm.memory) == 0


async def test_abort_of_a_hit_request_id_is_harmless(llm):
    prompt, params = unique_prompt("a fern"), greedy(max_tokens=3)
    await collect(llm, prompt, params, "first")
    hit = await collect(llm, prompt, params, "hit-id")
    await llm.abort("hit-id")
    assert hit[-1].finished and hit[-1].metadata["cache_level"] == "memory"
