"""The isolation tests' tenants and questions, and the peer process that reads another process's entries.

Run as ``python -m tests.reliability.tenants REDIS_URL PREFIX CHROMA_PORT``: a second engine with its own
key building and stages, on the Redis and the Chroma server the test process wrote to, looks up every
tenant's questions and prints what it saw as JSON (it fails at once if a tenant's own entry is missing).
"""

from __future__ import annotations

import asyncio
import json
import sys

TENANTS = [f"tenant-{i:02d}" for i in range(20)]
# isolation, not faults: hundreds of writes at once on a loaded 2-core machine must not time out
# (a timeout takes Redis out of the path for a second and drops the writes meanwhile, by design)
REDIS_TIMEOUT = 5.0
QUESTIONS = [
    f"What is the {attribute} of {place}?"
    for attribute in ("capital", "population", "currency", "area", "official language")
    for place in ("France", "Peru", "Kenya", "Japan", "Norway")
]


def owns(tenant: str, question: str) -> bool:
    """Each question is stored by about half of the tenants."""
    return (QUESTIONS.index(question) + TENANTS.index(tenant)) % 2 == 0


def answer_text(tenant: str, question: str) -> str:
    return f"{tenant} answers: {question}"


def reworded(question: str) -> str:
    return f"Tell me: {question.lower()}"


class Tally:
    """Hits, misses and leaks (a hit with an answer another tenant stored); a lost own entry fails at once."""

    def __init__(self) -> None:
        self.counts = {"hits": 0, "misses": 0, "leaks": 0}

    def check(self, tenant: str, question: str, text: str | None, must_hit: bool) -> None:
        if text is None:
            self.counts["misses"] += 1
            assert not must_hit, f"{tenant} lost its own answer to {question!r}"
        else:
            self.counts["hits"] += 1
            self.counts["leaks"] += text.startswith("tenant-") and not text.startswith(f"{tenant} ")


async def _peer(redis_url: str, prefix: str, chroma_port: str) -> dict[str, dict[str, int]]:
    from vllm import SamplingParams

    from enhanced_vllm import CacheConfig, CacheType, EnhancedAsyncLLM, HandlerConfig, SimilarityConfig

    cache = CacheConfig(
        cache_type=CacheType.REDIS, redis_url=redis_url, redis_key_prefix=prefix, redis_timeout=REDIS_TIMEOUT
    )
    similarity = SimilarityConfig(chroma_mode="http", chroma_port=int(chroma_port), max_hold_ms=5000)
    llm = EnhancedAsyncLLM(cache_config=cache, handler_config=HandlerConfig(), similarity_config=similarity)
    params = SamplingParams(temperature=0, max_tokens=8)
    tallies = {level: Tally() for level in ("redis", "semantic", "generate")}
    try:
        pairs = [(t, q) for t in TENANTS for q in QUESTIONS]
        for tenant, question in pairs * 4:
            llm.memory.clear()  # every hit comes from Redis
            hit = await llm.exact.lookup(llm.keys.build(question, params, tenant=tenant), "peer")
            text = None if hit is None else hit[1].outputs[0].text
            tallies["redis"].check(tenant, question, text, owns(tenant, question))
        for asked in (lambda q: q, reworded):
            for start in range(0, len(pairs), 100):
                batch = pairs[start : start + 100]
                lookups = [(asked(q), llm.keys.build(q, params, tenant=t).signature) for t, q in batch]
                for (tenant, question), entry in zip(batch, llm.semantic.lookup_many_sync(lookups), strict=True):
                    must = owns(tenant, question) and asked is not reworded
                    tallies["semantic"].check(tenant, question, None if entry is None else entry.answer, must)
        for number, (tenant, question) in enumerate(pairs[::7]):  # whole requests (owned or not), asked and reworded
            for prompt in (question, reworded(question)):
                request_id = f"peer-{number}-{len(prompt)}"
                final = [out async for out in llm.generate_enhanced(prompt, params, request_id, tenant=tenant)][-1]
                text = final.outputs[0].text if final.metadata["cached"] else None
                tallies["generate"].check(tenant, question, text, owns(tenant, question) and prompt == question)
    finally:
        await llm.cleanup()
    return {level: tally.counts for level, tally in tallies.items()}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_peer(*sys.argv[1:]))))
