"""``EnhancedVLLM``: a LangChain text-completion LLM on the in-process ``EnhancedAsyncLLM``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseLLM
from langchain_core.language_models.base import LangSmithParams
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from vllm import SamplingParams

from enhanced_vllm.adapters import response_metadata_of, usage_of
from enhanced_vllm.outputs import EnhancedRequestOutput
from langchain_enhanced_vllm._engine import EngineFields


class EnhancedVLLM(EngineFields, BaseLLM):
    """Completion model on vLLM in this process, with exact and semantic caching in front.

    Prompts go to the engine as they are (no chat template; use ``ChatEnhancedVLLM`` for chat).
    Each generation's ``generation_info`` tells ``cached``, ``cache_level`` and ``finish_reason``.
    """

    @property
    def _llm_type(self) -> str:
        return "enhanced-vllm"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return self.ls_params("llm", stop, kwargs)

    def _result(self, outputs: list[EnhancedRequestOutput]) -> LLMResult:
        generations, input_tokens, output_tokens = [], 0, 0
        for output in outputs:
            usage = usage_of(output)
            input_tokens += usage["input_tokens"]
            output_tokens += usage["output_tokens"]
            info = response_metadata_of(output, self.model_name)
            generations.append([Generation(text=output.text, generation_info=info)])
        usage = {"input_tokens": input_tokens, "output_tokens": output_tokens}
        return LLMResult(generations=generations, llm_output={"token_usage": usage, "model_name": self.model_name})

    async def _finals(
        self, prompts: list[str], params: SamplingParams, request: dict[str, Any]
    ) -> list[EnhancedRequestOutput]:
        runtime = self.runtime()
        return list(await asyncio.gather(*(runtime.acomplete(p, params, **request) for p in prompts)))

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        request = self.request_options(kwargs)
        params = self.sampling_params(stop, False, **kwargs)
        return self._result(self.runtime().run(self._finals(prompts, params, request)))

    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        runtime = await self.aruntime()
        request = self.request_options(kwargs)
        params = self.sampling_params(stop, False, **kwargs)
        return self._result(await runtime.arun(self._finals(prompts, params, request)))

    def _chunk(self, output: EnhancedRequestOutput) -> GenerationChunk:
        info = response_metadata_of(output, self.model_name) if output.finished else None
        return GenerationChunk(text=output.text, generation_info=info)

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        request = self.request_options(kwargs)
        params = self.sampling_params(stop, True, **kwargs)
        for output in self.runtime().stream(prompt, params, **request):
            chunk = self._chunk(output)
            if run_manager and chunk.text:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        runtime = await self.aruntime()
        request = self.request_options(kwargs)
        params = self.sampling_params(stop, True, **kwargs)
        async for output in runtime.astream(prompt, params, **request):
            chunk = self._chunk(output)
            if run_manager and chunk.text:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
