"""``CachedLLM`` on a non-vLLM LlamaIndex LLM (LlamaIndex's own ``MockLLM``, its calls counted): a query
engine answers a repeat from the cache, a paraphrased chat question is a semantic hit (real embedder,
Chroma, guard), hits stream, Redis shares entries between two wrappers, tool calls are never cached."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from llama_index.core import Document, SummaryIndex
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.llms import ChatMessage, MockLLM

from enhanced_vllm import CacheConfig, CacheType, SimilarityConfig
from llamaindex_enhanced_vllm import CachedLLM

QUESTION = "How do I learn to dance the tango quickly and well?"
PARAPHRASE = "How can I learn to dance the tango quickly and well?"


class CountingLLM(MockLLM):
    """MockLLM (echoes its prompt) that counts the completions it really made (not a setting: the
    count stays out of ``to_dict``, which the cache keys read)."""

    _calls: int = PrivateAttr(default=0)

    @property
    def calls(self) -> int:
        return self._calls

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any):
        self._calls += 1
        return super().complete(prompt, formatted=formatted, **kwargs)

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any):
        self._calls += 1
        return super().stream_complete(prompt, formatted=formatted, **kwargs)


@pytest.fixture
def similarity(tmp_path):
    return SimilarityConfig(chroma_mode="persistent", chroma_path=tmp_path / "chroma")


def test_a_query_engine_answers_a_repeat_from_the_cache(similarity):
    inner = CountingLLM()
    llm = CachedLLM(llm=inner, similarity_config=similarity)
    index = SummaryIndex.from_documents([Document(text="The tango is a partner dance from Buenos Aires.")])
    engine = index.as_query_engine(llm=llm)
    first = engine.query("Where does the tango come from?")
    calls = inner.calls
    assert calls >= 1
    again = engine.query("Where does the tango come from?")
    assert str(again) == str(first) and inner.calls == calls, "the repeat never reached the model"


async def test_a_paraphrase_is_a_semantic_hit_in_every_call_form(similarity):
    inner = CountingLLM()
    llm = CachedLLM(llm=inner, similarity_config=similarity)
    answer = llm.chat([ChatMessage(role="user", content=QUESTION)]).message.content
    assert inner.calls == 1
    asked = [ChatMessage(role="user", content=PARAPHRASE)]
    hit = llm.chat(asked)
    assert hit.message.content == answer and hit.additional_kwargs["cached"] is True
    streamed = list(llm.stream_chat(asked))
    assert [chunk.delta for chunk in streamed] == [answer]
    assert (await llm.achat(asked)).message.content == answer
    assert [chunk.delta async for chunk in await llm.astream_chat(asked)] == [answer]
    assert inner.calls == 1
    assert llm.chat([ChatMessage(role="user", content="What is the capital of Peru?")]).message.content != answer
    assert inner.calls == 2, "another question goes to the model"


async def test_completions_stream_and_are_cached_after_a_whole_stream(similarity):
    inner = CountingLLM(max_tokens=5)
    llm = CachedLLM(llm=inner, similarity_config=similarity, semantic=False)
    streamed = list(llm.stream_complete("Tell me about tangos."))[-1].text  # the whole text so far
    assert inner.calls == 1
    assert llm.complete("Tell me about tangos.").text == streamed
    assert (await llm.acomplete("Tell me about tangos.")).text == streamed
    assert [c.delta async for c in await llm.astream_complete("Tell me about tangos.")] == [streamed]
    assert inner.calls == 1


def test_redis_shares_entries_between_wrappers_and_extra_arguments_bypass(redis_server, similarity):
    if not redis_server.running:
        redis_server.start()
    config = CacheConfig(cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix=uuid.uuid4().hex)
    writer_inner, reader_inner = CountingLLM(), CountingLLM()
    writer = CachedLLM(llm=writer_inner, cache_config=config, semantic=False)
    reader = CachedLLM(llm=reader_inner, cache_config=config, semantic=False)
    text = writer.complete("What is a milonga?").text
    assert reader.complete("What is a milonga?").text == text and reader_inner.calls == 0
    reader.complete("What is a milonga?", temperature=0.3)  # extra arguments: the model answers
    assert reader_inner.calls == 1
