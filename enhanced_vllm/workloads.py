"""Reuse workloads: a fraction h of the requests repeats (or paraphrases) a question answered before.

``concurrency`` clients issue the requests back to back (a closed loop), so the engine sees the
same load on both sides and a hit frees its client for the next request at once. Plain
``AsyncLLM`` generates every request; the product answers the repeats from its caches. If hits
were free and misses cost what plain's requests cost, the speedup would be the ideal 1 / (1 - h).
Each round answers a fresh pool of questions first (untimed), then times the same shuffled list on
both sides, alternating which goes first.
"""

from __future__ import annotations

import asyncio
import collections
import random
import time
import uuid
from typing import Any

from vllm import SamplingParams

from enhanced_vllm.bench import _enhanced, _plain, _prompt
from enhanced_vllm.engine import EnhancedAsyncLLM
from enhanced_vllm.sweep import ratio_interval


def _question(tag: str) -> str:
    return f"How do I learn the {tag} language quickly?"


def _paraphrase(tag: str) -> str:
    return f"How can I learn the {tag} language quickly?"


async def _closed_loop(
    llm: EnhancedAsyncLLM, call: Any, prompts: list[str], params: SamplingParams, concurrency: int
) -> tuple[float, collections.Counter]:
    """Served tokens/s for ``prompts`` issued by ``concurrency`` clients, and the cache levels seen."""
    pending = iter(prompts)  # shared: each client takes the next prompt when it is free
    served, levels = [0], collections.Counter()

    async def client() -> None:
        for prompt in pending:
            output = await call(llm, prompt, params)
            served[0] += len(output.outputs[0].token_ids)
            levels[str(getattr(output, "metadata", {}).get("cache_level"))] += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return served[0] / (time.perf_counter() - started), levels


def _workload(fraction: float, size: int, paraphrased: bool, rng: random.Random) -> tuple[list[str], list[str]]:
    """(questions to answer first, the timed list): ``fraction`` of the timed list reuses them."""
    reused = round(fraction * size)
    tags = [f"zq{uuid.uuid4().hex[:6]}" for _ in range(reused)]
    timed = [(_paraphrase if paraphrased else _question)(tag) for tag in tags]
    timed += [_prompt(uuid.uuid4().hex[:8]) for _ in range(size - reused)]
    rng.shuffle(timed)
    return [_question(tag) for tag in tags], timed


async def reuse_rows(
    llm: EnhancedAsyncLLM,
    fractions: list[float],
    concurrency: int,
    tokens: int,
    rounds: int,
    paraphrased: bool = False,
    requests_per_client: int = 4,
) -> list[dict[str, Any]]:
    """One row per fraction: the speedup over plain (with its interval) beside the ideal."""
    params = SamplingParams(temperature=0, max_tokens=tokens, ignore_eos=True)
    rng = random.Random(0)
    rows = []
    for fraction in fractions:
        product, plain, levels = [], [], collections.Counter()
        for i in range(rounds):
            warm, timed = _workload(fraction, concurrency * requests_per_client, paraphrased, rng)
            await _closed_loop(llm, _enhanced, warm, params, concurrency)
            await llm.flush_cache_writes()
            for samples, call in ((product, _enhanced), (plain, _plain))[:: 1 if i % 2 else -1]:
                tokens_per_s, seen = await _closed_loop(llm, call, timed, params, concurrency)
                samples.append(tokens_per_s)
                if call is _enhanced:
                    levels.update(seen)
            await llm.flush_cache_writes()
        speedup, low, high = ratio_interval(product, plain)
        ideal = 1 / (1 - fraction)
        rows.append(
            {
                "workload": "paraphrase" if paraphrased else "duplicate",
                "fraction": fraction,
                "concurrency": concurrency,
                "requests": concurrency * requests_per_client,
                "speedup": round(speedup, 4),
                "speedup_low": round(low, 4),
                "speedup_high": round(high, 4),
                "ideal": round(ideal, 4),
                "of_ideal": round(speedup / ideal, 4),
                "cache_levels": dict(levels),
                "tokens_per_s": [round(x, 1) for x in product],
                "plain_tokens_per_s": [round(x, 1) for x in plain],
            }
        )
    return rows
