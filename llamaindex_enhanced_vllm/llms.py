"""``EnhancedVLLM``: a LlamaIndex ``FunctionCallingLLM`` on the in-process ``EnhancedAsyncLLM``.

Truly async: ``acomplete``/``achat`` await the engine, ``astream_*`` yield tokens as they are
generated without blocking the caller's loop. Chat goes through the model's chat template; cache
hit information is in ``raw`` and ``additional_kwargs``. Prompts and default sampling match the
LangChain adapter's, so both frameworks share one engine and one cache.

Tool calls (``chat_with_tools``, ``FunctionAgent``) and structured output (``structured_predict``,
``as_structured_llm``, through a forced tool call) are enforced by vLLM's guided JSON decoding with
the core's tool plan (``enhanced_vllm.tool_calls``), the LangChain adapter's too: even the tiny
bundled model returns valid calls and objects. A tool turn is cached for exact repeats only (with
its calls); it is never a semantic hit.
"""

from __future__ import annotations

import json
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
    ContentBlock,
    LLMMetadata,
    MessageRole,
    TextBlock,
    ToolCallBlock,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.tools.types import BaseTool
from vllm import SamplingParams

from enhanced_vllm.adapters import EngineSettings, response_metadata_of, usage_of
from enhanced_vllm.config import EngineArgsConfig
from enhanced_vllm.outputs import EnhancedRequestOutput
from enhanced_vllm.prompts import NO_QUESTION
from enhanced_vllm.tool_calls import ToolPlan, calls_text, plan_tools, result_text


def _info(output: EnhancedRequestOutput, model_name: str) -> dict[str, Any]:
    return {**response_metadata_of(output, model_name), "usage": usage_of(output)}


def _content(message: ChatMessage) -> str:
    """A message's text; tool calls and results written as the core writes them for every adapter."""
    text = message.content or ""
    calls = [(b.tool_name, b.tool_kwargs) for b in message.blocks if isinstance(b, ToolCallBlock)]
    if calls:
        return calls_text(text, calls)
    if message.role == MessageRole.TOOL:
        return result_text(message.additional_kwargs.get("tool_call_id"), text)
    return text


def chat_dicts(messages: Sequence[ChatMessage], system_prompt: str | None = None) -> list[dict[str, str]]:
    """LlamaIndex messages as the role/content dicts chat templates take, ``system_prompt`` first
    unless the messages start with their own."""
    chat = [{"role": m.role.value, "content": _content(m)} for m in messages]
    if system_prompt and not (chat and chat[0]["role"] == "system"):
        chat.insert(0, {"role": "system", "content": system_prompt})
    return chat


def _reply(output: EnhancedRequestOutput, plan: ToolPlan | None) -> ChatMessage:
    if plan is None:
        return ChatMessage(role=MessageRole.ASSISTANT, content=output.text)
    content, calls = plan.parse(output.text)
    blocks: list[ContentBlock] = [TextBlock(text=content)] if content or not calls else []
    blocks += [ToolCallBlock(tool_call_id=c["id"], tool_name=c["name"], tool_kwargs=c["args"]) for c in calls]
    # also in the OpenAI shape under additional_kwargs, where LlamaIndex's streaming programs look for calls
    openai_calls = [
        {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": json.dumps(c["args"])}}
        for c in calls
    ]
    extra = {"tool_calls": openai_calls} if calls else {}
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


class EnhancedVLLM(EngineSettings, FunctionCallingLLM):
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
            is_function_calling_model=True,
            model_name=self.model_name,
        )

    # --- requests ----------------------------------------------------------------------------

    def _chat_request(
        self, messages: Sequence[ChatMessage], streaming: bool, kwargs: dict[str, Any]
    ) -> tuple[str, SamplingParams, dict[str, Any], ToolPlan | None]:
        """The rendered prompt, sampling params, ``add_request``'s own keywords (with the question the
        semantic stage sees) and the tool plan (``tools`` in ``kwargs``: the call is guided JSON,
        generated whole)."""
        kwargs = dict(kwargs)
        parallel = bool(kwargs.pop("parallel_tool_calls", False))
        plan = plan_tools(kwargs.pop("tools", None), kwargs.pop("tool_choice", None), parallel)
        chat = chat_dicts(messages, self.system_prompt)
        if plan is not None:
            chat = plan.instruct(chat)
        prompt, question = self.runtime().llm.render_chat(chat)
        if plan is None:
            request = self.request_options(kwargs, question)
            return prompt, self._params(streaming, kwargs), request, None
        request = self.request_options(kwargs, NO_QUESTION)  # a tool call is not an answer for a paraphrase
        return prompt, self.sampling_params(kwargs.pop("stop", None), False, plan.json_schema, **kwargs), request, plan

    def _completion_prompt(self, prompt: str, formatted: bool) -> str:
        return prompt if formatted else self.completion_to_prompt(prompt)

    def _params(self, streaming: bool, kwargs: dict[str, Any]) -> SamplingParams:
        return self.sampling_params(kwargs.pop("stop", None), streaming, **kwargs)

    def _final(self, prompt: str, params: SamplingParams, request: dict[str, Any]) -> EnhancedRequestOutput:
        return self.runtime().complete(prompt, params, **request)

    def _completion(self, output: EnhancedRequestOutput) -> CompletionResponse:
        info = _info(output, self.model_name)
        return CompletionResponse(text=output.text, raw=info, additional_kwargs=info)

    def _chat_response(
        self, output: EnhancedRequestOutput, plan: ToolPlan | None, streamed: bool = False
    ) -> ChatResponse:
        """The reply; ``streamed``: the one chunk of a stream (its delta is the whole text)."""
        info = _info(output, self.model_name)
        delta = output.text if streamed else None
        return ChatResponse(message=_reply(output, plan), delta=delta, raw=info, additional_kwargs=info)

    def _deltas(self, prompt: str, params: SamplingParams, request: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
        """(text so far, delta, info on the last) from the engine's DELTA outputs."""
        text = ""
        for output in self.runtime().stream(prompt, params, **request):
            delta = output.text
            text += delta
            yield text, delta, _info(output, self.model_name) if output.finished else {}

    async def _adeltas(
        self, prompt: str, params: SamplingParams, request: dict[str, Any]
    ) -> AsyncIterator[tuple[str, str, Any]]:
        runtime = await self.aruntime()
        text = ""
        async for output in runtime.astream(prompt, params, **request):
            delta = output.text
            text += delta
            yield text, delta, _info(output, self.model_name) if output.finished else {}

    # --- completion --------------------------------------------------------------------------

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        request = self.request_options(kwargs)
        return self._completion(
            self._final(self._completion_prompt(prompt, formatted), self._params(False, kwargs), request)
        )

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        request = self.request_options(kwargs)
        deltas = self._deltas(self._completion_prompt(prompt, formatted), self._params(True, kwargs), request)
        return (CompletionResponse(text=t, delta=d, raw=i, additional_kwargs=i) for t, d, i in deltas)

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        runtime = await self.aruntime()
        request = self.request_options(kwargs)
        params = self._params(False, kwargs)
        output = await runtime.acomplete(self._completion_prompt(prompt, formatted), params, **request)
        return self._completion(output)

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        await self.aruntime()
        request = self.request_options(kwargs)
        deltas = self._adeltas(self._completion_prompt(prompt, formatted), self._params(True, kwargs), request)

        async def responses() -> CompletionResponseAsyncGen:
            async for text, delta, info in deltas:
                yield CompletionResponse(text=text, delta=delta, raw=info, additional_kwargs=info)

        return responses()

    # --- chat --------------------------------------------------------------------------------

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        prompt, params, request, plan = self._chat_request(messages, False, kwargs)
        return self._chat_response(self._final(prompt, params, request), plan)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        prompt, params, request, plan = self._chat_request(messages, True, kwargs)
        if plan is not None:

            def call() -> ChatResponseGen:  # a tool call is generated whole: one chunk
                yield self._chat_response(self._final(prompt, params, request), plan, streamed=True)

            return call()
        return (
            ChatResponse(
                message=ChatMessage(role=MessageRole.ASSISTANT, content=t), delta=d, raw=i, additional_kwargs=i
            )
            for t, d, i in self._deltas(prompt, params, request)
        )

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        runtime = await self.aruntime()
        prompt, params, request, plan = self._chat_request(messages, False, kwargs)
        return self._chat_response(await runtime.acomplete(prompt, params, **request), plan)

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        runtime = await self.aruntime()
        prompt, params, request, plan = self._chat_request(messages, True, kwargs)

        async def responses() -> ChatResponseAsyncGen:
            if plan is not None:
                yield self._chat_response(await runtime.acomplete(prompt, params, **request), plan, streamed=True)
                return
            async for text, delta, info in self._adeltas(prompt, params, request):
                message = ChatMessage(role=MessageRole.ASSISTANT, content=text)
                yield ChatResponse(message=message, delta=delta, raw=info, additional_kwargs=info)

        return responses()

    # --- tools ---------------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """``chat()`` arguments with the tools bound: ``tool_required`` (or ``tool_choice`` "required"
        / a tool's name) forces a call; ``allow_parallel_tool_calls`` lets one reply call several."""
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        return {
            "messages": messages,
            "tools": [tool.metadata.to_openai_tool() for tool in tools],
            "tool_choice": tool_choice if tool_choice is not None else "required" if tool_required else "auto",
            "parallel_tool_calls": allow_parallel_tool_calls,
            **kwargs,
        }

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        calls = [
            ToolSelection(tool_id=b.tool_call_id or "", tool_name=b.tool_name, tool_kwargs=b.tool_kwargs)
            for b in response.message.blocks
            if isinstance(b, ToolCallBlock)
        ]
        if not calls and error_on_no_tool_call:
            raise ValueError(f"the model called no tool; it replied {response.message.content!r}")
        return calls
