"""1,000 streams cancelled at random points, over misses, shared single-flight generations and hits:
no engine request left running (vLLM's own counters), nothing partial cached, and no growth in
asyncio tasks or memory from one storm to the next.

Half the streams are cancelled at a random time (often before their first output), the other half
after a random number of outputs, so mid-stream cancellations happen however slow the machine is."""

from __future__ import annotations

import asyncio
import gc
import random
import uuid
from collections import Counter

from enhanced_vllm.cache import codec
from tests.helpers import collect, greedy, rss_mib

TOKENS = 24
PARAMS = greedy(max_tokens=TOKENS, ignore_eos=True)
KINDS = ("cancelled", "finished", "memory", "coalesced", "engine")
STREAMS = 1000
WAVE = 100  # streams started together
CANCEL_WITHIN_S = 1.5  # a timed cancellation falls at a random time in this window


async def _storm(llm, streams: int, answered: list[str], rng: random.Random) -> dict[str, int]:
    """``streams`` streams, in waves: 30 % ask an ``answered`` prompt (hits), the rest one of 20 new
    prompts per wave (repeats share a generation); each stream is cancelled after a random delay or
    after a random number of outputs; returns how many were cancelled, how many finished first, and
    what served those that had an output by then."""
    outcome = Counter()

    async def consume(prompt: str, cancel_after_outputs: int | None) -> None:
        received = 0
        async for output in llm.generate(prompt, PARAMS, uuid.uuid4().hex):
            received += 1
            if received == 1:  # what served the stream: a hit, a shared generation, the engine
                metadata = output.metadata
                outcome[metadata["cache_level"] or ("coalesced" if metadata["coalesced"] else "engine")] += 1
            if received == cancel_after_outputs and not output.finished:
                asyncio.current_task().cancel()  # raised at the stream's next step: a mid-stream cut

    loop = asyncio.get_running_loop()
    for _ in range(streams // WAVE):
        fresh = [_prompt() for _ in range(20)]
        tasks = []
        for _ in range(WAVE):
            prompt = rng.choice(answered if rng.random() < 0.3 else fresh)
            timed = rng.random() < 0.5
            task = asyncio.ensure_future(consume(prompt, None if timed else rng.randint(1, TOKENS // 2)))
            if timed:
                loop.call_later(rng.uniform(0, CANCEL_WITHIN_S), task.cancel)
            tasks.append(task)
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            outcome["cancelled" if isinstance(result, asyncio.CancelledError) else "finished"] += 1
            assert result is None or isinstance(result, asyncio.CancelledError), result
    return {kind: outcome[kind] for kind in KINDS}


def _prompt() -> str:
    return f"Tell a short story about the clockmaker number {uuid.uuid4().hex[:8]}:"


async def _settled(llm) -> None:
    for _ in range(100):
        if not llm.output_processor.has_unfinished_requests() and not llm.flights.by_key:
            break
        await asyncio.sleep(0.05)
    await llm.flush_cache_writes()


async def test_a_thousand_cancelled_streams_leave_nothing_behind(llm):
    rng = random.Random(7)
    answered = [_prompt() for _ in range(20)]
    for prompt in answered:  # answered in full: their streams are hits
        await collect(llm, prompt, PARAMS)
    await _storm(llm, 200, answered, rng)  # warm-up: the first allocations and caches
    await _settled(llm)
    gc.collect()
    tasks_before, rss_before = len(asyncio.all_tasks()), rss_mib()

    outcome = await _storm(llm, STREAMS, answered, rng)
    await _settled(llm)
    gc.collect()

    print(f"{outcome}, tasks {tasks_before} -> {len(asyncio.all_tasks())}, RSS +{rss_mib() - rss_before:.1f} MiB")
    assert outcome["cancelled"] >= 0.4 * STREAMS, outcome  # cut mid-way; the rest (hits mostly) finished
    assert min(outcome.get(kind, 0) for kind in ("memory", "coalesced", "engine")) > 0, outcome
    assert llm.output_processor.get_num_unfinished_requests() == 0, "an engine request is still running"
    assert not llm.output_processor.has_unfinished_requests() and not llm.flights.by_key
    for _, blob in llm.memory.items():  # every entry is a whole answer
        output = codec.decode(blob, "check")
        assert output.outputs[0].finish_reason == "length" and len(output.outputs[0].token_ids) == TOKENS
    assert len(asyncio.all_tasks()) <= tasks_before
    assert rss_mib() - rss_before < 64, "memory grew across the storm"
