"""EnhancedVLLM as a LlamaIndex LLM on the real engine (shared with the LangChain adapter)."""

from __future__ import annotations

import asyncio
import time
import uuid

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from llamaindex_enhanced_vllm import EnhancedVLLM
from tests.helpers import ADAPTER_SETTINGS, settle


def _topic() -> str:
    return f"lighthouse number {uuid.uuid4().hex[:6]}"


def test_construction_starts_nothing_and_metadata_is_correct():
    llm = EnhancedVLLM(max_tokens=64, engine_args={"max_model_len": 1024})
    assert llm._runtime is None
    metadata = llm.metadata
    assert (metadata.context_window, metadata.num_output, metadata.is_chat_model) == (1024, 64, True)


def test_metadata_of_a_running_engine(li_llm):
    metadata = li_llm.metadata
    assert metadata.context_window == li_llm.runtime().llm.model_config.max_model_len == 2048
    assert metadata.model_name.endswith("SmolLM2-135M-Instruct")


def test_complete_and_chat_report_cache_hits(li_llm):
    prompt = f"The {_topic()} stands on"
    first = li_llm.complete(prompt)
    assert first.text and first.raw["cached"] is False
    again = li_llm.complete(prompt)
    assert again.text == first.text
    assert again.additional_kwargs["cache_level"] == "memory"

    messages = [ChatMessage(role=MessageRole.USER, content=f"Name the {_topic()}.")]
    answer = li_llm.chat(messages)
    assert answer.message.role == MessageRole.ASSISTANT and answer.message.content
    assert li_llm.chat(messages).raw["cache_level"] == "memory"


def test_stream_complete_and_stream_chat_yield_tokens(li_llm):
    chunks = list(li_llm.stream_complete(f"The keeper of the {_topic()} said"))
    assert len(chunks) > 1
    assert chunks[-1].text == "".join(c.delta for c in chunks)
    chat_chunks = list(li_llm.stream_chat([ChatMessage(role=MessageRole.USER, content=f"Describe the {_topic()}.")]))
    assert len(chat_chunks) > 1 and chat_chunks[-1].message.content


async def test_astream_complete_interleaves_with_another_coroutine(li_llm):
    events: list[str] = []

    async def other() -> None:
        for _ in range(200):
            events.append("other")
            await asyncio.sleep(0.002)

    async def stream() -> None:
        async for _ in await li_llm.astream_complete(f"Write four sentences about the {_topic()}:"):
            events.append("token")

    other_task = asyncio.create_task(other())
    await stream()
    other_task.cancel()
    first_token, last_token = events.index("token"), len(events) - 1 - events[::-1].index("token")
    assert "other" in events[first_token:last_token], "the stream blocked the event loop"
    assert events.count("token") > 1


async def test_async_complete_and_chat(li_llm):
    response = await li_llm.acomplete(f"The {_topic()} was built in")
    assert response.text
    chat = await li_llm.achat([ChatMessage(role=MessageRole.USER, content=f"Who keeps the {_topic()}?")])
    assert chat.message.content
    chunks = [c async for c in await li_llm.astream_chat([ChatMessage(role=MessageRole.USER, content="Say hi.")])]
    assert chunks and chunks[-1].message.content


async def test_sync_complete_inside_a_running_loop(li_llm):
    asyncio.get_running_loop()  # as in a Jupyter cell
    assert li_llm.complete(f"The {_topic()} is").text


def test_both_frameworks_share_one_engine_and_one_cache(li_llm):
    from langchain_enhanced_vllm import ChatEnhancedVLLM

    chat = ChatEnhancedVLLM(max_tokens=48, **ADAPTER_SETTINGS)
    assert chat.runtime().llm is li_llm.runtime().llm
    question = f"What is the {_topic()} made of?"
    langchain_answer = chat.invoke(question)
    llamaindex_answer = li_llm.chat([ChatMessage(role=MessageRole.USER, content=question)])
    assert llamaindex_answer.message.content == langchain_answer.content
    assert llamaindex_answer.raw["cache_level"] == "memory"


def test_no_arguments_share_the_engine_with_equal_settings(li_llm):
    assert EnhancedVLLM(**ADAPTER_SETTINGS).runtime().llm is li_llm.runtime().llm


def test_langchain_and_llamaindex_take_cache_control_per_call():
    from langchain_enhanced_vllm import ChatEnhancedVLLM

    chat = ChatEnhancedVLLM(max_tokens=8, **ADAPTER_SETTINGS)
    question = f"Name the {uuid.uuid4().hex[:6]} keeper."
    chat.invoke(question)
    assert chat.invoke(question).response_metadata["cached"] is True
    assert chat.invoke(question, cache_control="no-cache").response_metadata["cached"] is False
    fresh = f"Name the {uuid.uuid4().hex[:6]} keeper."
    chat.invoke(fresh, cache_control={"no_store": True})
    assert chat.invoke(fresh).response_metadata["cached"] is False

    li = EnhancedVLLM(max_tokens=8, **ADAPTER_SETTINGS)
    messages = [ChatMessage(role=MessageRole.USER, content=question)]
    assert li.chat(messages).raw["cached"] is True  # the same engine and cache as LangChain's
    assert li.chat(messages, cache_control="bypass").raw["cached"] is False
    li.complete(question)
    assert li.complete(question).raw["cached"] is True
    assert li.complete(question, cache_control="no-cache").raw["cached"] is False

    short_lived = f"Name the {uuid.uuid4().hex[:6]} keeper."
    chat.invoke(short_lived, cache_control="ttl=1")
    assert chat.invoke(short_lived, cache_control="max-age=60").response_metadata["cached"] is True
    time.sleep(1.2)
    assert li.chat([ChatMessage(role=MessageRole.USER, content=short_lived)]).raw["cached"] is False  # expired
    assert chat.invoke(question, cache_control="max-age=0").response_metadata["cached"] is False  # too old


def test_both_adapters_invalidate_a_neighbourhood_in_their_tenant():
    from langchain_enhanced_vllm import ChatEnhancedVLLM

    tenant = f"tenant-{uuid.uuid4().hex[:6]}"
    chat = ChatEnhancedVLLM(max_tokens=8, tenant=tenant, **ADAPTER_SETTINGS)
    question = "How do I learn to dance the tango quickly and well?"
    chat.invoke(question)
    li = EnhancedVLLM(max_tokens=8, tenant=tenant, **ADAPTER_SETTINGS)
    settle(li)
    dry = li.invalidate_similar("What is the best way to learn the tango?", similarity=0.6, dry_run=True)
    assert [e["question"] for e in dry.semantic] == [question] and dry.exact
    assert chat.invoke(question).response_metadata["cached"] is True, "a dry run deletes nothing"
    chat.invalidate_similar("What is the best way to learn the tango?", similarity=0.6)
    assert chat.invoke(question).response_metadata["cached"] is False
    settle(chat)
    assert li.invalidate_tenant().exact  # the fresh answer, gone with the tenant
    assert chat.invoke(question).response_metadata["cached"] is False
