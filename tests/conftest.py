"""Session fixtures: one real engine on the bundled model, one real redis-server on loopback."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
import uuid

import pytest

from enhanced_vllm import CacheConfig, CacheType, EnhancedAsyncLLM, HandlerConfig, SimilarityConfig
from enhanced_vllm.local_redis import LocalRedisServer
from tests.helpers import EXACT_ONLY


@pytest.fixture(scope="session", autouse=True)
def _stop_shared_engines():
    """The adapters' shared engine stops while pytest still captures output (vLLM logs on shutdown)."""
    yield
    from enhanced_vllm.runtime import stop_shared_runtimes

    stop_shared_runtimes()


@pytest.fixture(scope="session")
def redis_server():
    server = LocalRedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def engine():
    llm = EnhancedAsyncLLM(handler_config=EXACT_ONLY, similarity_config=SimilarityConfig(chroma_mode="ephemeral"))
    yield llm
    await llm.cleanup()


@pytest.fixture
async def llm(engine):
    """The shared engine with fresh, empty in-memory caches."""
    engine.configure(CacheConfig(), EXACT_ONLY)
    yield engine
    assert not engine.flights.by_key, "a test left a generation in flight"


@pytest.fixture
async def redis_llm(engine, redis_server):
    """The shared engine with fresh caches and Redis as L2 (a key prefix of its own per test)."""
    if not redis_server.running:
        redis_server.start()
    config = CacheConfig(
        cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix=f"test-{uuid.uuid4().hex[:8]}"
    )
    engine.configure(config, EXACT_ONLY)
    yield engine


@pytest.fixture
async def semantic_llm(engine, tmp_path):
    """The shared engine with fresh caches and the semantic stage on an embedded Chroma of its own."""
    # a generous hold budget: a loaded CI machine must not turn the race into a flaky test
    similarity = SimilarityConfig(chroma_mode="persistent", chroma_path=tmp_path / "chroma", max_hold_ms=5000)
    engine.configure(CacheConfig(), HandlerConfig(), similarity)
    yield engine
    await engine.flush_cache_writes()
    engine.configure(CacheConfig(), EXACT_ONLY)


@pytest.fixture(scope="session")
def reference():
    """transformers' greedy answers to the answer-test prompts (``enhanced_vllm.answers``)."""
    from enhanced_vllm.answers import references

    return references()
