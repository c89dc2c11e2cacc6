"""The LangChain caches with any LangChain model (a fake one here; real Redis, real Chroma)."""

from __future__ import annotations

import json
import uuid

import pytest
from langchain_core.globals import set_llm_cache
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.outputs import Generation

from enhanced_vllm import CacheConfig, CacheType, SimilarityConfig
from langchain_enhanced_vllm import EnhancedExactCache, EnhancedSemanticCache
from langchain_enhanced_vllm.caches import split_prompt


@pytest.fixture
def use_cache():
    def install(cache):
        set_llm_cache(cache)
        return cache

    yield install
    set_llm_cache(None)


def _fake() -> FakeListChatModel:
    return FakeListChatModel(responses=["first answer", "second answer", "third answer"])


def _redis_config(redis_server, prefix: str) -> CacheConfig:
    if not redis_server.running:
        redis_server.start()
    return CacheConfig(cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix=prefix)


def test_exact_cache_serves_the_second_call_of_any_model(use_cache):
    use_cache(EnhancedExactCache())
    model = _fake()
    question = f"What is {uuid.uuid4().hex}?"
    assert model.invoke(question).content == "first answer"
    assert model.invoke(question).content == "first answer"  # the fake would say "second answer"
    assert model.invoke(question + " again").content == "second answer"


def test_exact_cache_keys_include_the_llm_string():
    cache = EnhancedExactCache()
    cache.update("prompt", "llm-a", [Generation(text="from a")])
    assert cache.lookup("prompt", "llm-a")[0].text == "from a"
    assert cache.lookup("prompt", "llm-b") is None


async def test_redis_level_is_shared_between_cache_objects(redis_server):
    """Two cache objects with their own memory and one Redis: what another process sees."""
    config = _redis_config(redis_server, f"lc-{uuid.uuid4().hex[:6]}")
    writer, reader = EnhancedExactCache(config), EnhancedExactCache(config)
    await writer.aupdate("shared prompt", "llm", [Generation(text="shared answer")])
    assert len(reader.memory) == 0
    assert reader.lookup("shared prompt", "llm")[0].text == "shared answer"
    assert (await reader.alookup("shared prompt", "llm"))[0].text == "shared answer"
    writer.clear()
    reader.memory.clear()
    assert reader.lookup("shared prompt", "llm") is None


def test_entries_are_langchain_json_and_corrupt_ones_are_misses(redis_server):
    config = _redis_config(redis_server, f"lc-{uuid.uuid4().hex[:6]}")
    cache = EnhancedExactCache(config)
    cache.update("p", "llm", [Generation(text="answer")])
    ((key, blob),) = cache.memory.items()
    assert json.loads(blob)[0].startswith('{"lc": 1')  # LangChain's dumps, not pickle
    cache.memory.store(key, b"\x80\x04not json")
    assert cache.lookup("p", "llm") is None


def test_unreachable_redis_is_a_miss_not_an_error():
    config = CacheConfig(cache_type=CacheType.REDIS, redis_url="redis://127.0.0.1:1/0", redis_timeout=0.2)
    cache = EnhancedExactCache(config)
    assert cache.lookup("p", "llm") is None
    cache.update("p", "llm", [Generation(text="kept in memory")])
    assert cache.lookup("p", "llm")[0].text == "kept in memory"


@pytest.fixture
def semantic_cache():
    cache = EnhancedSemanticCache(SimilarityConfig(chroma_mode="ephemeral"), namespace=uuid.uuid4().hex)
    yield cache
    cache.clear()


def test_semantic_cache_answers_a_paraphrase_for_any_model(use_cache, semantic_cache):
    use_cache(semantic_cache)
    model = _fake()
    topic = f"zx{uuid.uuid4().hex[:4]}"
    assert model.invoke(f"How do I learn the {topic} language quickly?").content == "first answer"
    assert model.invoke(f"How can I learn the {topic} language quickly?").content == "first answer"


def test_semantic_cache_guard_and_context(use_cache, semantic_cache):
    use_cache(semantic_cache)
    model = _fake()
    system = SystemMessage("Be brief.")
    assert model.invoke([system, HumanMessage("How many moons does Mars have in 2020?")]).content == "first answer"
    # a changed number is not a paraphrase
    assert model.invoke([system, HumanMessage("How many moons does Mars have in 2021?")]).content == "second answer"
    # the same question after another system prompt is another conversation
    other = [SystemMessage("Answer in French."), HumanMessage("How many moons does Mars have in 2020?")]
    assert model.invoke(other).content == "third answer"


def test_split_prompt_finds_the_last_question():
    from langchain_core.load import dumps

    messages = [SystemMessage("sys"), HumanMessage("first"), HumanMessage("the question")]
    question, context = split_prompt(dumps(messages))
    assert question == "the question" and "first" in context
    assert split_prompt("plain text prompt") == ("plain text prompt", "")
