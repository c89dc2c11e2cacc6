"""Soak: mixed load (repeats, new questions, rewordings) for ``ENHANCED_VLLM_SOAK_S`` seconds (default
120; 600 for the full soak) with every stage on: no failed request, no error logged, RSS and L1 within
bounds, and the hit rate of the last quarter close to the second quarter's (the first is warm-up)."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time

import pytest

from enhanced_vllm import CacheConfig, HandlerConfig, SimilarityConfig
from tests.helpers import EXACT_ONLY, collect, greedy, rss_mib, unique_prompt

SOAK_S = float(os.environ.get("ENHANCED_VLLM_SOAK_S", "120"))
CLIENTS = 8
L1_SIZE = 200
SEMANTIC_ENTRIES = 2000  # bounded too: after the warm-up quarter the stores stop growing, so RSS must not


@pytest.mark.slow
@pytest.mark.timeout(SOAK_S + 300)
async def test_mixed_load_stays_healthy(engine, tmp_path, caplog):
    similarity = SimilarityConfig(
        chroma_mode="persistent", chroma_path=tmp_path / "chroma", max_hold_ms=200, max_entries=SEMANTIC_ENTRIES
    )
    engine.configure(CacheConfig(memory_cache_size=L1_SIZE), HandlerConfig(), similarity)
    params = greedy(max_tokens=8, ignore_eos=True)  # the tiny model may end some answers at once
    rng = random.Random(5)
    answered: list[str] = []
    served: list[tuple[float, bool]] = []  # (time, cached)
    rss: list[float] = []
    l1_entries: list[int] = []
    started = time.monotonic()
    caplog.set_level(logging.ERROR)

    async def client() -> None:
        while (now := time.monotonic()) - started < SOAK_S:
            roll = rng.random()
            if answered and roll < 0.4:
                prompt = rng.choice(answered[-150:])  # recent enough to be in L1
            elif answered and roll < 0.55:
                prompt = f"Please answer this: {rng.choice(answered[-150:])}"
            else:
                prompt = unique_prompt("a tidal pool")
            outputs = await collect(engine, prompt, params)
            assert outputs[-1].finished and outputs[-1].error is None and outputs[-1].text
            served.append((now - started, outputs[-1].metadata["cached"]))
            if not outputs[-1].metadata["cached"]:
                answered.append(prompt)

    async def sample_rss() -> None:
        while time.monotonic() - started < SOAK_S:
            rss.append(rss_mib())
            l1_entries.append(len(engine.memory))
            await asyncio.sleep(SOAK_S / 20)

    try:
        await asyncio.gather(sample_rss(), *(client() for _ in range(CLIENTS)))
        await engine.flush_cache_writes()
    finally:
        engine.configure(CacheConfig(), EXACT_ONLY)

    quarters = [[cached for t, cached in served if q * SOAK_S / 4 <= t < (q + 1) * SOAK_S / 4] for q in (1, 3)]
    rates = [sum(quarter) / len(quarter) for quarter in quarters]  # the second and the last quarter
    growth = max(rss[len(rss) // 4 :]) - rss[len(rss) // 4]
    print(
        f"{len(served)} requests in {SOAK_S:.0f} s, hit rate {rates[0]:.2f} / {rates[1]:.2f}, "
        f"RSS +{growth:.0f} MiB after the first quarter, L1 at most {max(l1_entries)}"
    )
    assert len(served) > 100
    assert abs(rates[0] - rates[1]) < 0.15, rates
    assert growth < 150, f"RSS grew {growth:.0f} MiB after the warm-up quarter"
    assert max(l1_entries) <= L1_SIZE and l1_entries[-1] > 0, l1_entries
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors[:3]]
