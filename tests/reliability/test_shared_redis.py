"""Two processes sharing one Redis: a miss in this process is a hit in another."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from enhanced_vllm import CacheConfig, CacheType
from tests.helpers import EXACT_ONLY, collect, greedy, unique_prompt

OTHER_PROCESS = textwrap.dedent(
    """
    import asyncio, json, sys
    from vllm import SamplingParams
    from enhanced_vllm import CacheConfig, CacheType, EnhancedAsyncLLM

    async def main(url, prefix, prompt):
        config = CacheConfig(cache_type=CacheType.REDIS, redis_url=url, redis_key_prefix=prefix)
        llm = EnhancedAsyncLLM(cache_config=config)
        async for out in llm.generate(prompt, SamplingParams(temperature=0, max_tokens=6), "other-process"):
            pass
        print(json.dumps({"level": out.metadata["cache_level"], "text": out.text, "id": out.request_id}))
        await llm.cleanup()

    if __name__ == "__main__":
        asyncio.run(main(*sys.argv[1:]))
    """
)


@pytest.mark.slow
async def test_miss_in_one_process_is_a_redis_hit_in_another(engine, redis_server, tmp_path):
    if not redis_server.running:
        redis_server.start()
    config = CacheConfig(cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix="shared")
    engine.configure(config, EXACT_ONLY)
    prompt = unique_prompt("a shared secret")
    mine = await collect(engine, prompt, greedy(max_tokens=6))
    assert mine[-1].metadata["cached"] is False
    await engine.flush_cache_writes()

    script = tmp_path / "other.py"
    script.write_text(OTHER_PROCESS)
    env = {**os.environ, "VLLM_LOGGING_STREAM": "ext://sys.stderr", "VLLM_LOGGING_LEVEL": "ERROR"}
    result = subprocess.run(
        [sys.executable, str(script), redis_server.url, "shared", prompt],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    other = json.loads(result.stdout.strip().splitlines()[-1])
    assert other == {"level": "redis", "text": mine[-1].text, "id": "other-process"}
