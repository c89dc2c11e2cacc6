"""Two processes sharing one Redis and one Chroma server: a miss in this process is an exact hit in
another, a paraphrase there is a semantic hit on this process's entry, and an epoch bump there retires
this process's entries."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import uuid

import pytest

from enhanced_vllm import CacheConfig, CacheType, HandlerConfig, SimilarityConfig
from tests.helpers import EXACT_ONLY, LocalChromaServer, collect, greedy, unique_prompt

OTHER_PROCESS = textwrap.dedent(
    """
    import asyncio, json, sys
    from vllm import SamplingParams
    from enhanced_vllm import CacheConfig, CacheType, EnhancedAsyncLLM, HandlerConfig, SimilarityConfig

    async def main(url, prefix, chroma_port, *prompts):
        config = CacheConfig(cache_type=CacheType.REDIS, redis_url=url, redis_key_prefix=prefix)
        if chroma_port == "none":
            exact_only = HandlerConfig(features={"enable_similarity_search": False})
            llm = EnhancedAsyncLLM(cache_config=config, handler_config=exact_only)
        else:
            similarity = SimilarityConfig(chroma_mode="http", chroma_port=int(chroma_port), max_hold_ms=5000)
            llm = EnhancedAsyncLLM(cache_config=config, handler_config=HandlerConfig(), similarity_config=similarity)
        params = SamplingParams(temperature=0, max_tokens=10, ignore_eos=True)
        seen = []
        for number, prompt in enumerate(prompts):
            if prompt == "BUMP":
                seen.append({"epoch": await llm.bump_epoch()})
                continue
            async for out in llm.generate(prompt, params, f"other-process-{number}"):
                pass
            seen.append({"level": out.metadata["cache_level"], "text": out.text, "id": out.request_id})
        print(json.dumps(seen))
        await llm.cleanup()

    if __name__ == "__main__":
        asyncio.run(main(*sys.argv[1:]))
    """
)


def _other_process(tmp_path, redis_url: str, prefix: str, chroma_port: int | None, *prompts: str) -> list[dict]:
    script = tmp_path / "other.py"
    script.write_text(OTHER_PROCESS)
    env = {**os.environ, "VLLM_LOGGING_STREAM": "ext://sys.stderr", "VLLM_LOGGING_LEVEL": "ERROR"}
    command = [sys.executable, str(script), redis_url, prefix, str(chroma_port or "none"), *prompts]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
async def test_miss_in_one_process_is_a_redis_hit_in_another(engine, redis_server, tmp_path):
    if not redis_server.running:
        redis_server.start()
    config = CacheConfig(cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix="shared")
    engine.configure(config, EXACT_ONLY)
    prompt = unique_prompt("a shared secret")
    mine = await collect(engine, prompt, greedy(max_tokens=10, ignore_eos=True))
    assert mine[-1].metadata["cached"] is False
    await engine.flush_cache_writes()

    (other,) = _other_process(tmp_path, redis_server.url, "shared", None, prompt)
    assert other == {"level": "redis", "text": mine[-1].text, "id": "other-process-0"}


@pytest.mark.slow
async def test_a_paraphrase_in_another_process_is_a_semantic_hit_on_this_ones_entry(engine, redis_server, tmp_path):
    """Single-flight stays per process: only the stores are shared."""
    if not redis_server.running:
        redis_server.start()
    chroma = LocalChromaServer(tmp_path / "chroma-server").start()
    prefix = uuid.uuid4().hex
    config = CacheConfig(cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix=prefix)
    engine.configure(config, HandlerConfig(), SimilarityConfig(chroma_mode="http", chroma_port=chroma.port))
    try:
        topic = uuid.uuid4().hex[:4]
        asked = f"How do I learn the {topic} dance quickly?"
        mine = await collect(engine, asked, greedy(max_tokens=10, ignore_eos=True))
        assert mine[-1].metadata["cached"] is False
        await engine.flush_cache_writes()

        paraphrase = f"How can I learn the {topic} dance quickly?"
        seen = _other_process(tmp_path, redis_server.url, prefix, chroma.port, asked, paraphrase, "BUMP", asked)
        exact, semantic, bumped, after_bump = seen
        assert (exact["level"], exact["text"]) == ("redis", mine[-1].text)
        assert (semantic["level"], semantic["text"]) == ("semantic", mine[-1].text)
        assert after_bump["level"] is None, "the bump retired the entry there at once"

        await asyncio.sleep(1.1)  # past the epoch's read interval: the next request reads it beside itself
        await collect(engine, unique_prompt(), greedy(max_tokens=2))
        await engine.flush_cache_writes()
        assert engine.keys.epoch == bumped["epoch"] == 1
        again = await collect(engine, asked, greedy(max_tokens=10, ignore_eos=True))
        assert again[-1].metadata["cache_level"] == "redis", "not this process's old memory entry: the new epoch's"
        stored = engine.semantic.store.find({"question": asked})
        assert [m["epoch"] for m in stored] == [1], "the bumping process deleted the old epoch's entry"
    finally:
        engine.configure(CacheConfig(), EXACT_ONLY)
        chroma.stop()
