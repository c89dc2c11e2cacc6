"""Tenants never see each other's answers: 10,000 mixed lookups over 20 tenants asking overlapping
questions, through the exact levels (memory, then Redis) and the semantic stage (Chroma), on the
engine's own stages. Every answer names the tenant that stored it; a hit for another is a leak."""

from __future__ import annotations

import random
import uuid

from vllm.outputs import CompletionOutput, RequestOutput

from enhanced_vllm import CacheConfig, CacheType, HandlerConfig, SimilarityConfig
from enhanced_vllm.cache import codec
from tests.helpers import EXACT_ONLY, greedy

TENANTS = [f"tenant-{i:02d}" for i in range(20)]
QUESTIONS = [
    f"What is the {attribute} of {place}?"
    for attribute in ("capital", "population", "currency", "area", "official language")
    for place in ("France", "Peru", "Kenya", "Japan", "Norway")
]
LOOKUPS = 10_000


def _answer(tenant: str, question: str) -> bytes:
    text = f"{tenant} answers: {question}"
    output = RequestOutput("stored", question, [1, 2], None, [CompletionOutput(0, text, [3], None, None, "stop")], True)
    return codec.encode(output)


def _owns(tenant: str, question: str) -> bool:
    """Each question is stored by about half of the tenants."""
    return (QUESTIONS.index(question) + TENANTS.index(tenant)) % 2 == 0


async def test_ten_thousand_mixed_lookups_never_cross_tenants(engine, redis_server, tmp_path):
    if not redis_server.running:
        redis_server.start()
    cache = CacheConfig(cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix=uuid.uuid4().hex)
    similarity = SimilarityConfig(chroma_mode="persistent", chroma_path=tmp_path / "chroma")
    engine.configure(cache, HandlerConfig(), similarity)
    params = greedy(max_tokens=8)
    try:
        keys = {(t, q): engine.keys.build(q, params, tenant=t) for t in TENANTS for q in QUESTIONS}
        for (tenant, question), key in keys.items():
            if _owns(tenant, question):
                blob = _answer(tenant, question)
                engine.exact.store(key, blob)
                assert engine.semantic.store_answer(question, f"{tenant} answers", key.signature, tenant, blob)
        assert await engine.flush_cache_writes(timeout=120)

        rng = random.Random(11)
        seen = {"hits": 0, "misses": 0, "leaks": 0}

        def check(tenant: str, question: str, answer_text: str | None, must_hit: bool) -> None:
            if answer_text is None:
                seen["misses"] += 1
                assert not must_hit, f"{tenant} lost its own answer to {question!r}"
            else:
                seen["hits"] += 1
                seen["leaks"] += not answer_text.startswith(f"{tenant} ")

        for level in ("memory", "redis", "semantic"):
            asks = [(rng.choice(TENANTS), rng.choice(QUESTIONS)) for _ in range(LOOKUPS // 3 + 1)]
            if level == "semantic":
                for start in range(0, len(asks), 200):
                    batch = asks[start : start + 200]
                    # the question itself and a rewording: both must stay inside the asking tenant
                    asked = [q if i % 2 else f"Tell me: {q.lower()}" for i, (_, q) in enumerate(batch)]
                    lookups = [(text, keys[t, q].signature) for text, (t, q) in zip(asked, batch, strict=True)]
                    found = engine.semantic.lookup_many_sync(lookups)
                    for (tenant, question), text, entry in zip(batch, asked, found, strict=True):
                        own = _owns(tenant, question) and text == question
                        check(tenant, question, None if entry is None else entry.answer, own)
                continue
            for tenant, question in asks:
                if level == "redis":
                    engine.memory.clear()  # a Redis hit fills L1 back: keep every hit coming from Redis
                hit = await engine.exact.lookup(keys[tenant, question], "isolation")
                check(tenant, question, None if hit is None else hit[1].outputs[0].text, _owns(tenant, question))
                if hit is not None:
                    assert hit[0] == level
        assert seen["leaks"] == 0, seen
        assert seen["hits"] > LOOKUPS // 3 and seen["misses"] > LOOKUPS // 3, seen  # both kinds really happened
    finally:
        engine.configure(CacheConfig(), EXACT_ONLY)
