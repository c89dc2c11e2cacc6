"""langchain-tests' standard suites for the two BaseCache classes (sync and async; memory, Redis and
Chroma) and for SimilarContextRetriever."""

from __future__ import annotations

import uuid

import pytest
from langchain_tests.integration_tests import AsyncCacheTestSuite, RetrieversIntegrationTests, SyncCacheTestSuite

from enhanced_vllm import CacheConfig, CacheType, SimilarityConfig
from enhanced_vllm.semantic.cache import SemanticCache
from langchain_enhanced_vllm import EnhancedExactCache, EnhancedSemanticCache, SimilarContextRetriever


def _redis_config(redis_server) -> CacheConfig:
    if not redis_server.running:
        redis_server.start()
    return CacheConfig(cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix=uuid.uuid4().hex)


def _semantic() -> EnhancedSemanticCache:
    return EnhancedSemanticCache(SimilarityConfig(chroma_mode="ephemeral"), namespace=uuid.uuid4().hex)


class TestExactCacheMemory(SyncCacheTestSuite):
    @pytest.fixture
    def cache(self) -> EnhancedExactCache:
        return EnhancedExactCache()


class TestExactCacheRedis(SyncCacheTestSuite):
    @pytest.fixture
    def cache(self, redis_server) -> EnhancedExactCache:
        return EnhancedExactCache(_redis_config(redis_server))


class TestExactCacheRedisAsync(AsyncCacheTestSuite):
    @pytest.fixture
    async def cache(self, redis_server) -> EnhancedExactCache:
        return EnhancedExactCache(_redis_config(redis_server))


class TestSemanticCache(SyncCacheTestSuite):
    @pytest.fixture
    def cache(self) -> EnhancedSemanticCache:
        return _semantic()


class TestSemanticCacheAsync(AsyncCacheTestSuite):
    @pytest.fixture
    async def cache(self) -> EnhancedSemanticCache:
        return _semantic()


@pytest.fixture(scope="module")
def answered_questions() -> SemanticCache:
    store = SemanticCache(SimilarityConfig(chroma_mode="ephemeral", collection_name=f"c{uuid.uuid4().hex[:8]}"))
    for question, answer in [
        ("How tall is Mount Everest?", "8849 m"),
        ("How high is K2?", "8611 m"),
        ("What is the tallest mountain in Africa?", "Kilimanjaro"),
        ("How long is the Nile?", "6650 km"),
    ]:
        store.store_sync(question, answer, "signature", "tenant")
    return store


class TestSimilarContextRetriever(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _store(self, answered_questions) -> None:
        type(self).store = answered_questions

    @property
    def retriever_constructor(self) -> type[SimilarContextRetriever]:
        return SimilarContextRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"semantic_cache": self.store, "score_threshold": -1.0}

    @property
    def retriever_query_example(self) -> str:
        return "How tall is the highest mountain?"
