"""``ChatEnhancedVLLM``: a LangChain chat model on the in-process ``EnhancedAsyncLLM``.

Messages go through the model's chat template; the user's last message is what the semantic cache
matches on (the rest of the conversation must be identical). Structured output and forced tool
calls are enforced by vLLM's guided JSON decoding, so even a tiny model returns valid objects.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    ToolMessage,
)
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import JsonOutputKeyToolsParser, PydanticToolsParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from vllm import SamplingParams

from enhanced_vllm.adapters import response_metadata_of, usage_of
from enhanced_vllm.outputs import EnhancedRequestOutput
from enhanced_vllm.prompts import NO_QUESTION
from enhanced_vllm.tool_calls import ToolPlan, calls_text, plan_tools, result_text
from langchain_enhanced_vllm._engine import EngineFields

TOOL_CALL_BLOCKS = ("tool_call", "tool_use", "tool_call_chunk", "function_call")
ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def _text_of(message: BaseMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    parts = []
    for block in message.content:
        if isinstance(block, str):
            parts.append(block)
        elif block.get("type") == "text":
            parts.append(block["text"])
        elif block.get("type") in TOOL_CALL_BLOCKS:
            continue  # the same calls are in ``message.tool_calls``, rendered by to_chat_dicts
        else:
            raise ValueError(f"ChatEnhancedVLLM takes text only; got a {block.get('type')!r} content block")
    return "".join(parts)


def to_chat_dicts(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as the role/content dicts chat templates take; tool calls and results
    are written as JSON text (small chat templates have no tool syntax)."""
    converted = []
    for message in messages:
        role = message.role if isinstance(message, ChatMessage) else ROLES.get(message.type, message.type)
        content = _text_of(message)
        if isinstance(message, AIMessage) and message.tool_calls:
            content = calls_text(content, [(c["name"], c["args"]) for c in message.tool_calls])
        if isinstance(message, ToolMessage):
            content = result_text(message.tool_call_id, content)
        converted.append({"role": role, "content": content})
    return converted


class ChatEnhancedVLLM(EngineFields, BaseChatModel):
    """Chat model on vLLM in this process, with exact and semantic caching in front of the engine.

    ``ChatEnhancedVLLM()`` uses the bundled model; ``model=``/``engine_args=`` pick another, and
    ``engine=``/``handler=`` reuse one you started. Objects with equal settings share one engine.
    ``response_metadata`` tells ``cached``, ``cache_level`` and, for semantic hits, ``similarity``.
    """

    @property
    def _llm_type(self) -> str:
        return "enhanced-vllm-chat"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return self.ls_params("chat", stop, kwargs)

    # --- request building ------------------------------------------------------------------

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, streaming: bool, kwargs: dict[str, Any]
    ) -> tuple[str, SamplingParams, str | None, ToolPlan | None]:
        """The rendered prompt, sampling params, the question the semantic stage sees, and the
        tool plan (when tools are bound; a tool call is then streamed whole, as one chunk)."""
        kwargs = dict(kwargs)
        kwargs.pop("ls_structured_output_format", None)
        json_schema = kwargs.pop("response_format", None)
        parallel = bool(kwargs.pop("parallel_tool_calls", False))
        tool_plan = plan_tools(kwargs.pop("tools", None), kwargs.pop("tool_choice", None), parallel)
        chat = to_chat_dicts(messages)
        if tool_plan is not None:
            json_schema = tool_plan.json_schema
            chat = tool_plan.instruct(chat)
        prompt, question = self.runtime().llm.render_chat(chat)
        if tool_plan is not None:
            question = NO_QUESTION  # a tool call is not an answer to reuse for a paraphrase
        params = self.sampling_params(stop, streaming and tool_plan is None, json_schema, **kwargs)
        return prompt, params, question, tool_plan

    def _message(self, output: EnhancedRequestOutput, tool_plan: ToolPlan | None) -> AIMessage:
        text = output.text
        metadata = response_metadata_of(output, self.model_name)
        usage = usage_of(output)
        if tool_plan is not None:
            content, tool_calls = tool_plan.parse(text)
            return AIMessage(content=content, tool_calls=tool_calls, response_metadata=metadata, usage_metadata=usage)
        return AIMessage(content=text, response_metadata=metadata, usage_metadata=usage)

    # --- LangChain's hooks -----------------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        prompt, params, question, tool_plan = self._request(messages, stop, False, kwargs)
        output = self.runtime().complete(prompt, params, **self.request_options(kwargs, question))
        return ChatResult(generations=[ChatGeneration(message=self._message(output, tool_plan))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        runtime = await self.aruntime()
        prompt, params, question, tool_plan = self._request(messages, stop, False, kwargs)
        output = await runtime.acomplete(prompt, params, **self.request_options(kwargs, question))
        return ChatResult(generations=[ChatGeneration(message=self._message(output, tool_plan))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        prompt, params, question, tool_plan = self._request(messages, stop, True, kwargs)
        deltas = self.runtime().stream(prompt, params, **self.request_options(kwargs, question))
        streamer = _ChunkStreamer(self.model_name, tool_plan)
        for output in deltas:
            for chunk in streamer.feed(output):
                if run_manager and chunk.text:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        runtime = await self.aruntime()
        prompt, params, question, tool_plan = self._request(messages, stop, True, kwargs)
        streamer = _ChunkStreamer(self.model_name, tool_plan)
        async for output in runtime.astream(prompt, params, **self.request_options(kwargs, question)):
            for chunk in streamer.feed(output):
                if run_manager and chunk.text:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    # --- tools and structured output -------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable | BaseTool],
        *,
        tool_choice: str | dict | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools. ``tool_choice="any"``/``"required"``/a tool name forces a call whose JSON is
        enforced by guided decoding; ``None``/``"auto"`` lets the model answer or call (also
        guided); ``"none"`` disables them."""
        formatted = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        method: Literal["json_schema", "json_mode", "function_calling"] = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict | Any]:
        """Outputs matching ``schema`` (pydantic class, TypedDict, JSON schema), enforced by guided
        decoding. ``json_mode`` is guided by the schema too; ``function_calling`` returns the
        object through a forced tool call."""
        if kwargs:
            raise ValueError(f"unsupported arguments: {sorted(kwargs)}")
        json_schema = convert_to_json_schema(schema)
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        tracing = {"ls_structured_output_format": {"kwargs": {"method": method}, "schema": json_schema}}
        if method == "function_calling":
            name = convert_to_openai_tool(schema)["function"]["name"]
            llm = self.bind_tools([schema], tool_choice=name, **tracing)
            parser: Runnable = (
                PydanticToolsParser(tools=[schema], first_tool_only=True)
                if is_pydantic
                else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
            )
        elif method in ("json_schema", "json_mode"):
            llm = self.bind(response_format=json_schema, **tracing)
            parser = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()
        else:
            raise ValueError(f"unknown method {method!r}: use json_schema, json_mode or function_calling")
        if not include_raw:
            return llm | parser
        parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
        failed = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parsed.with_fallbacks([failed], exception_key="parsing_error")


class _ChunkStreamer:
    """Engine deltas -> ChatGenerationChunks; the last carries usage and response metadata."""

    def __init__(self, model_name: str, tool_plan: ToolPlan | None) -> None:
        self._model_name = model_name
        self._tool_plan = tool_plan
        self._output_tokens = 0
        self._run_id = f"run-{uuid.uuid4()}"

    def feed(self, output: EnhancedRequestOutput) -> Iterator[ChatGenerationChunk]:
        completion = output.outputs[0] if output.outputs else None
        self._output_tokens += len(completion.token_ids) if completion else 0
        text = completion.text if completion else ""
        if not output.finished:
            if text:
                yield ChatGenerationChunk(message=AIMessageChunk(content=text, id=self._run_id))
            return
        fields: dict[str, Any] = {
            "content": text,
            "id": self._run_id,
            "usage_metadata": usage_of(output, self._output_tokens),
            "response_metadata": response_metadata_of(output, self._model_name),
            "chunk_position": "last",
        }
        if self._tool_plan is not None:
            fields["content"], calls = self._tool_plan.parse(text)
            fields["tool_call_chunks"] = [
                {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i, "type": "tool_call_chunk"}
                for i, c in enumerate(calls)
            ]
        yield ChatGenerationChunk(message=AIMessageChunk(**fields))
