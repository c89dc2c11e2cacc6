"""Tenants never see each other's answers: 10,000 mixed lookups over 20 tenants asking overlapping
questions, through the exact levels (memory, then Redis) and the semantic stage (Chroma), on the
engine's own stages, and from a second process on the same Redis and Chroma server. Every answer names
the tenant that stored it; a hit for another is a leak."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from vllm.outputs import CompletionOutput, RequestOutput

from enhanced_vllm import CacheConfig, CacheType, HandlerConfig, SimilarityConfig
from enhanced_vllm.cache import codec
from enhanced_vllm.cache.keys import CacheKey
from tests.helpers import EXACT_ONLY, LocalChromaServer, greedy
from tests.reliability.tenants import QUESTIONS, REDIS_TIMEOUT, TENANTS, Tally, answer_text, owns, reworded

REPO = Path(__file__).resolve().parents[2]

LOOKUPS = 10_000


def _answer(tenant: str, question: str) -> bytes:
    text = answer_text(tenant, question)
    output = RequestOutput("stored", question, [1, 2], None, [CompletionOutput(0, text, [3], None, None, "stop")], True)
    return codec.encode(output)


async def _store_every_tenants_answers(engine) -> dict[tuple[str, str], CacheKey]:
    params = greedy(max_tokens=8)
    keys = {(t, q): engine.keys.build(q, params, tenant=t) for t in TENANTS for q in QUESTIONS}
    for (tenant, question), key in keys.items():
        if owns(tenant, question):
            blob = _answer(tenant, question)
            engine.exact.store(key, blob)
            assert engine.semantic.store_answer(question, f"{tenant} answers", key.signature, tenant, blob)
    assert await engine.flush_cache_writes(timeout=120)
    return keys


async def test_ten_thousand_mixed_lookups_never_cross_tenants(engine, redis_server, tmp_path):
    if not redis_server.running:
        redis_server.start()
    cache = CacheConfig(
        cache_type=CacheType.REDIS,
        redis_url=redis_server.url,
        redis_key_prefix=uuid.uuid4().hex,
        redis_timeout=REDIS_TIMEOUT,
    )
    similarity = SimilarityConfig(chroma_mode="persistent", chroma_path=tmp_path / "chroma")
    engine.configure(cache, HandlerConfig(), similarity)
    try:
        keys = await _store_every_tenants_answers(engine)
        rng = random.Random(11)
        tally = Tally()
        for level in ("memory", "redis", "semantic"):
            asks = [(rng.choice(TENANTS), rng.choice(QUESTIONS)) for _ in range(LOOKUPS // 3 + 1)]
            if level == "semantic":
                for start in range(0, len(asks), 200):
                    batch = asks[start : start + 200]
                    # the question itself and a rewording: both must stay inside the asking tenant
                    asked = [q if i % 2 else reworded(q) for i, (_, q) in enumerate(batch)]
                    lookups = [(text, keys[t, q].signature) for text, (t, q) in zip(asked, batch, strict=True)]
                    found = engine.semantic.lookup_many_sync(lookups)
                    for (tenant, question), text, entry in zip(batch, asked, found, strict=True):
                        own = owns(tenant, question) and text == question
                        tally.check(tenant, question, None if entry is None else entry.answer, own)
                continue
            for tenant, question in asks:
                if level == "redis":
                    engine.memory.clear()  # a Redis hit fills L1 back: keep every hit coming from Redis
                hit = await engine.exact.lookup(keys[tenant, question], "isolation")
                tally.check(tenant, question, None if hit is None else hit[1].outputs[0].text, owns(tenant, question))
                if hit is not None:
                    assert hit[0] == level
        seen = tally.counts
        assert seen["leaks"] == 0, seen
        assert seen["hits"] > LOOKUPS // 3 and seen["misses"] > LOOKUPS // 3, seen  # both kinds really happened
    finally:
        engine.configure(CacheConfig(), EXACT_ONLY)


@pytest.mark.slow
async def test_a_second_process_on_the_same_redis_and_chroma_server_never_crosses_tenants(
    engine, redis_server, tmp_path
):
    """The peer builds its own keys and stages (``tests.reliability.tenants``) and reads this one's entries."""
    if not redis_server.running:
        redis_server.start()
    prefix = uuid.uuid4().hex
    chroma = LocalChromaServer(tmp_path / "chroma-server").start()
    cache = CacheConfig(
        cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix=prefix, redis_timeout=REDIS_TIMEOUT
    )
    engine.configure(cache, HandlerConfig(), SimilarityConfig(chroma_mode="http", chroma_port=chroma.port))
    try:
        await _store_every_tenants_answers(engine)
        env = {**os.environ, "VLLM_LOGGING_STREAM": "ext://sys.stderr", "VLLM_LOGGING_LEVEL": "ERROR"}
        command = [sys.executable, "-m", "tests.reliability.tenants", redis_server.url, prefix, str(chroma.port)]
        peer = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=REPO)
        assert peer.returncode == 0, peer.stderr[-3000:]
        seen = json.loads(peer.stdout.strip().splitlines()[-1])
        pairs = len(TENANTS) * len(QUESTIONS)
        assert seen["redis"] == {"hits": 2 * pairs, "misses": 2 * pairs, "leaks": 0}, seen
        for level in ("semantic", "generate"):  # the peer checked that every tenant found its own entries
            assert seen[level]["leaks"] == 0 and seen[level]["hits"] and seen[level]["misses"], seen
    finally:
        engine.configure(CacheConfig(), EXACT_ONLY)
        chroma.stop()
