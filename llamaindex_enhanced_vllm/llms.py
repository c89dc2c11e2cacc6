"""``EnhancedVLLM``: a LlamaIndex LLM on the in-process ``EnhancedAsyncLLM``.

Truly async: ``acomplete``/``achat`` await the engine, ``astream_*`` yield tokens as they are
generated without blocking the caller's loop. Chat goes through the model's chat template; cache
hit information is in ``raw`` and ``additional_kwargs``. Prompts and default sampling match the
LangChain adapter's, so both frameworks share one engine and one cache.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
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
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.llm import LLM
from vllm import SamplingParams

from enhanced_vllm.adapters import EngineSettings, response_metadata_of, usage_of
from enhanced_vllm.config import EngineArgsConfig
from enhanced_vllm.outputs import EnhancedRequestOutput


def _info(output: EnhancedRequestOutput, model_name: str) -> dict[str, Any]:
    return {**response_metadata_of(output, model_name), "usage": usage_of(output)}


def chat_dicts(messages: Sequence[ChatMessage], system_prompt: str | None = None) -> list[dict[str, str]]:
    """LlamaIndex messages as the role/content dicts chat templates take, ``system_prompt`` first
    unless the messages start with their own."""
    chat = [{"role": m.role.value, "content": m.content or ""} for m in messages]
    if system_prompt and not (chat and chat[0]["role"] == "system"):
        chat.insert(0, {"role": "system", "content": system_prompt})
    return chat


class EnhancedVLLM(EngineSettings, LLM):
    """LlamaIndex LLM on vLLM in this process, with exact and semantic caching in front.

    ``EnhancedVLLM()`` uses the bundled model; ``model=``/``engine_args=`` pick another and
    ``engine=``/``handler=`` reuse one you started. Usable as ``Settings.llm``.
    """

    @classmethod
    def class_name(cls) -> str:
        return "EnhancedVLLM"

    @property
    def metadata(self) -> LLMMetadata:
        if self._runtime is not None:
            context_window = self._runtime.llm.model_config.max_model_len
        else:
            context_window = self.engine_args.get("max_model_len") or EngineArgsConfig().max_model_len
        return LLMMetadata(
            context_window=context_window,
            num_output=self.max_tokens or 256,
            is_chat_model=True,
            model_name=self.model_name,
        )

    # --- requests ----------------------------------------------------------------------------

    def _chat_prompt(self, messages: Sequence[ChatMessage]) -> tuple[str, str | None]:
        return self.runtime().llm.render_chat(chat_dicts(messages, self.system_prompt))

    def _completion_prompt(self, prompt: str, formatted: bool) -> str:
        return prompt if formatted else self.completion_to_prompt(prompt)

    def _params(self, streaming: bool, kwargs: dict[str, Any]) -> SamplingParams:
        return self.sampling_params(kwargs.pop("stop", None), streaming, **kwargs)

    def _final(self, prompt: str, params: SamplingParams, question: str | None) -> EnhancedRequestOutput:
        return self.runtime().complete(prompt, params, tenant=self.tenant, question=question)

    def _completion(self, output: EnhancedRequestOutput) -> CompletionResponse:
        info = _info(output, self.model_name)
        return CompletionResponse(text=output.text, raw=info, additional_kwargs=info)

    def _chat_response(self, output: EnhancedRequestOutput) -> ChatResponse:
        info = _info(output, self.model_name)
        message = ChatMessage(role=MessageRole.ASSISTANT, content=output.text)
        return ChatResponse(message=message, raw=info, additional_kwargs=info)

    def _deltas(self, prompt: str, params: SamplingParams, question: str | None) -> Iterator[tuple[str, str, Any]]:
        """(text so far, delta, info on the last) from the engine's DELTA outputs."""
        text = ""
        for output in self.runtime().stream(prompt, params, tenant=self.tenant, question=question):
            delta = output.text
            text += delta
            yield text, delta, _info(output, self.model_name) if output.finished else {}

    async def _adeltas(
        self, prompt: str, params: SamplingParams, question: str | None
    ) -> AsyncIterator[tuple[str, str, Any]]:
        runtime = await self.aruntime()
        text = ""
        async for output in runtime.astream(prompt, params, tenant=self.tenant, question=question):
            delta = output.text
            text += delta
            yield text, delta, _info(output, self.model_name) if output.finished else {}

    # --- completion --------------------------------------------------------------------------

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return self._completion(
            self._final(self._completion_prompt(prompt, formatted), self._params(False, kwargs), None)
        )

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        deltas = self._deltas(self._completion_prompt(prompt, formatted), self._params(True, kwargs), None)
        return (CompletionResponse(text=t, delta=d, raw=i, additional_kwargs=i) for t, d, i in deltas)

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        runtime = await self.aruntime()
        params = self._params(False, kwargs)
        output = await runtime.acomplete(self._completion_prompt(prompt, formatted), params, tenant=self.tenant)
        return self._completion(output)

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        await self.aruntime()
        deltas = self._adeltas(self._completion_prompt(prompt, formatted), self._params(True, kwargs), None)

        async def responses() -> CompletionResponseAsyncGen:
            async for text, delta, info in deltas:
                yield CompletionResponse(text=text, delta=delta, raw=info, additional_kwargs=info)

        return responses()

    # --- chat --------------------------------------------------------------------------------

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        prompt, question = self._chat_prompt(messages)
        return self._chat_response(self._final(prompt, self._params(False, kwargs), question))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        prompt, question = self._chat_prompt(messages)
        deltas = self._deltas(prompt, self._params(True, kwargs), question)
        return (
            ChatResponse(
                message=ChatMessage(role=MessageRole.ASSISTANT, content=t), delta=d, raw=i, additional_kwargs=i
            )
            for t, d, i in deltas
        )

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        runtime = await self.aruntime()
        prompt, question = self._chat_prompt(messages)
        output = await runtime.acomplete(prompt, self._params(False, kwargs), tenant=self.tenant, question=question)
        return self._chat_response(output)

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        await self.aruntime()
        prompt, question = self._chat_prompt(messages)
        deltas = self._adeltas(prompt, self._params(True, kwargs), question)

        async def responses() -> ChatResponseAsyncGen:
            async for text, delta, info in deltas:
                message = ChatMessage(role=MessageRole.ASSISTANT, content=text)
                yield ChatResponse(message=message, delta=delta, raw=info, additional_kwargs=info)

        return responses()
