"""A response cache for any LlamaIndex LLM (``OpenAILike``, ``Ollama``, ...): ``CachedLLM(llm=...)``
answers a repeated prompt from the exact levels (memory, then Redis) and a paraphrased question from the
semantic level (Chroma and the guard), through the core ``TextCache``; everything else goes to ``llm``.

Keys cover the wrapped model's class and settings (``to_dict``), the call kind (chat or completion) and
the prompt; a paraphrase reuses an answer only for the same model and the same conversation before the
last user message. Hits stream too (one chunk). Calls with extra keyword arguments (tools, ...) and
answers that carry tool calls or other data besides text are never cached.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Generator, Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.llm import LLM

from enhanced_vllm.cache.text_cache import TextCache
from enhanced_vllm.config import CacheConfig, SimilarityConfig


def _text(message: ChatMessage) -> str:
    return message.content if isinstance(message.content, str) else ""


def _cacheable(message: ChatMessage) -> bool:
    return not message.additional_kwargs and all(block.block_type == "text" for block in message.blocks)


class CachedLLM(LLM):
    """``llm`` behind the exact and (``semantic=True``) semantic cache levels of this package."""

    llm: LLM = Field(description="The LlamaIndex LLM whose answers are cached.")
    cache_config: CacheConfig | None = None
    similarity_config: SimilarityConfig | None = None
    semantic: bool = True
    namespace: str = "llamaindex"
    _cache: TextCache = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        self._cache = TextCache(
            self.cache_config, self.similarity_config, namespace=self.namespace, semantic=self.semantic
        )

    @classmethod
    def class_name(cls) -> str:
        return "CachedLLM"

    @property
    def metadata(self) -> LLMMetadata:
        return self.llm.metadata

    @property
    def model_string(self) -> str:
        """What the keys know of the wrapped model: its class and settings."""
        return json.dumps([self.llm.class_name(), self.llm.to_dict()], sort_keys=True, default=str)

    # --- the cache ---------------------------------------------------------------------------

    def _where(self, kind: str, messages: Sequence[ChatMessage] | None, prompt: str | None) -> tuple[str, str, str]:
        """(exact key, question, context) of a chat (``messages``) or completion (``prompt``) call."""
        model = f"{kind}:{self.model_string}"
        if messages is not None:
            rendered = json.dumps([[m.role.value, _text(m)] for m in messages])
            last = messages[-1] if messages else None
            question = _text(last) if last is not None and last.role == MessageRole.USER else ""
            context = json.dumps([[m.role.value, _text(m)] for m in messages[:-1]])
            return self._cache.exact_key(model, rendered), question, context
        return self._cache.exact_key(model, prompt), prompt, ""

    def _lookup(self, kind: str, messages: Sequence[ChatMessage] | None, prompt: str | None) -> str | None:
        key, question, context = self._where(kind, messages, prompt)
        blob = self._cache.lookup_exact(key)
        if blob is None and question:
            blob = self._cache.lookup_similar(question, f"{kind}:{self.model_string}", context)
        return None if blob is None else json.loads(blob)["text"]

    async def _alookup(self, kind: str, messages: Sequence[ChatMessage] | None, prompt: str | None) -> str | None:
        key, question, context = self._where(kind, messages, prompt)
        blob = await self._cache.alookup_exact(key)
        if blob is None and question:
            blob = await self._cache.alookup_similar(question, f"{kind}:{self.model_string}", context)
        return None if blob is None else json.loads(blob)["text"]

    def _store(self, kind: str, messages: Sequence[ChatMessage] | None, prompt: str | None, text: str) -> None:
        key, question, context = self._where(kind, messages, prompt)
        blob = json.dumps({"text": text}).encode()
        self._cache.store_exact(key, blob)
        if question:
            self._cache.store_similar(question, text, f"{kind}:{self.model_string}", context, blob)

    async def _astore(self, kind: str, messages: Sequence[ChatMessage] | None, prompt: str | None, text: str) -> None:
        key, question, context = self._where(kind, messages, prompt)
        blob = json.dumps({"text": text}).encode()
        await self._cache.astore_exact(key, blob)
        if question:
            await self._cache.astore_similar(question, text, f"{kind}:{self.model_string}", context, blob)

    @staticmethod
    def _chat_hit(text: str, stream: bool = False) -> ChatResponse:
        message = ChatMessage(role=MessageRole.ASSISTANT, content=text)
        return ChatResponse(message=message, delta=text if stream else None, additional_kwargs={"cached": True})

    @staticmethod
    def _completion_hit(text: str, stream: bool = False) -> CompletionResponse:
        return CompletionResponse(text=text, delta=text if stream else None, additional_kwargs={"cached": True})

    # --- chat --------------------------------------------------------------------------------

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        if kwargs:
            return self.llm.chat(messages, **kwargs)
        if (text := self._lookup("chat", messages, None)) is not None:
            return self._chat_hit(text)
        response = self.llm.chat(messages)
        if _cacheable(response.message):
            self._store("chat", messages, None, _text(response.message))
        return response

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        if kwargs:
            return await self.llm.achat(messages, **kwargs)
        if (text := await self._alookup("chat", messages, None)) is not None:
            return self._chat_hit(text)
        response = await self.llm.achat(messages)
        if _cacheable(response.message):
            await self._astore("chat", messages, None, _text(response.message))
        return response

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        if kwargs:
            return self.llm.stream_chat(messages, **kwargs)

        def gen() -> Generator[ChatResponse, None, None]:
            if (text := self._lookup("chat", messages, None)) is not None:
                yield self._chat_hit(text, stream=True)
                return
            last = None
            for last in self.llm.stream_chat(messages):
                yield last
            if last is not None and _cacheable(last.message):  # the stream ran to its end
                self._store("chat", messages, None, _text(last.message))

        return gen()

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        if kwargs:
            return await self.llm.astream_chat(messages, **kwargs)

        async def gen() -> AsyncGenerator[ChatResponse, None]:
            if (text := await self._alookup("chat", messages, None)) is not None:
                yield self._chat_hit(text, stream=True)
                return
            last = None
            async for last in await self.llm.astream_chat(messages):
                yield last
            if last is not None and _cacheable(last.message):
                await self._astore("chat", messages, None, _text(last.message))

        return gen()

    # --- completion --------------------------------------------------------------------------

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        if kwargs:
            return self.llm.complete(prompt, formatted=formatted, **kwargs)
        if (text := self._lookup("complete", None, prompt)) is not None:
            return self._completion_hit(text)
        response = self.llm.complete(prompt, formatted=formatted)
        self._store("complete", None, prompt, response.text)
        return response

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        if kwargs:
            return await self.llm.acomplete(prompt, formatted=formatted, **kwargs)
        if (text := await self._alookup("complete", None, prompt)) is not None:
            return self._completion_hit(text)
        response = await self.llm.acomplete(prompt, formatted=formatted)
        await self._astore("complete", None, prompt, response.text)
        return response

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        if kwargs:
            return self.llm.stream_complete(prompt, formatted=formatted, **kwargs)

        def gen() -> Generator[CompletionResponse, None, None]:
            if (text := self._lookup("complete", None, prompt)) is not None:
                yield self._completion_hit(text, stream=True)
                return
            last = None
            for last in self.llm.stream_complete(prompt, formatted=formatted):
                yield last
            if last is not None:
                self._store("complete", None, prompt, last.text)

        return gen()

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        if kwargs:
            return await self.llm.astream_complete(prompt, formatted=formatted, **kwargs)

        async def gen() -> AsyncGenerator[CompletionResponse, None]:
            if (text := await self._alookup("complete", None, prompt)) is not None:
                yield self._completion_hit(text, stream=True)
                return
            last = None
            async for last in await self.llm.astream_complete(prompt, formatted=formatted):
                yield last
            if last is not None:
                await self._astore("complete", None, prompt, last.text)

        return gen()

    def clear(self) -> None:
        """Remove every entry of this cache's namespace from every level."""
        self._cache.clear()
