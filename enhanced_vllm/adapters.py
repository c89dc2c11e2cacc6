"""What the framework adapters share (LangChain's and LlamaIndex's models): engine selection,
sampling fields and the metadata they report.

Constructing a model object starts nothing. The first call resolves the engine: the one passed in
(``engine=`` or ``handler=``), or the process-wide engine for ``model``/``engine_args`` and the
configs (see ``enhanced_vllm.runtime.shared_runtime``), so every object with the same settings,
LangChain's and LlamaIndex's, shares one engine.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from vllm import SamplingParams
from vllm.sampling_params import RequestOutputKind, StructuredOutputsParams

from enhanced_vllm.cache.invalidation import Invalidation
from enhanced_vllm.config import CacheConfig, HandlerConfig, SimilarityConfig, VLLMConfig
from enhanced_vllm.engine import EnhancedAsyncLLM
from enhanced_vllm.handler import EnhancedVLLMHandler
from enhanced_vllm.outputs import EnhancedRequestOutput
from enhanced_vllm.runtime import EngineRuntime, shared_runtime
from enhanced_vllm.structured import fit_to_budget

# call-time keyword arguments that map onto SamplingParams fields of the same name
SAMPLING_FIELDS = (
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "repetition_penalty",
)
CACHE_METADATA = ("cached", "cache_level", "similarity", "matched_question", "coalesced")


class EngineSettings(BaseModel):
    """Engine selection and default sampling parameters (overridable per call as keyword arguments)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, protected_namespaces=())

    model: str | None = None
    """Model path or Hugging Face name; None: the bundled SmolLM2-135M-Instruct."""
    engine_args: dict[str, Any] = Field(default_factory=dict)
    """More vLLM engine arguments (``max_model_len``, ``gpu_memory_utilization``, ...)."""
    cache_config: CacheConfig | None = None
    similarity_config: SimilarityConfig | None = None
    handler_config: HandlerConfig | None = None
    engine: EnhancedAsyncLLM | None = Field(default=None, exclude=True)
    """An engine you built; its own caches apply."""
    handler: EnhancedVLLMHandler | None = Field(default=None, exclude=True)
    """A started handler whose engine to use."""
    tenant: str | None = None
    """Cache isolation: entries of one tenant never answer another."""

    max_tokens: int | None = Field(default=256, ge=1)
    temperature: float = Field(default=0.0, ge=0)
    top_p: float = Field(default=1.0, gt=0, le=1)
    top_k: int | None = None
    seed: int | None = None
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    repetition_penalty: float = Field(default=1.0, gt=0)
    stop: list[str] | None = None

    _runtime: EngineRuntime | None = PrivateAttr(default=None)

    def runtime(self) -> EngineRuntime:
        """The engine, started on first use (blocks for the start-up, ~20 s on CPU)."""
        if self._runtime is None:
            if self.engine is not None:
                self._runtime = EngineRuntime.for_engine(self.engine)
            elif self.handler is not None:
                if self.handler.llm is None:
                    raise ValueError("the handler is not started: `await handler.start()` first")
                self._runtime = EngineRuntime.for_engine(self.handler.llm)
            else:
                self._runtime = shared_runtime(
                    self.vllm_config(), self.cache_config, self.similarity_config, self.handler_config
                )
        return self._runtime

    def vllm_config(self) -> VLLMConfig:
        """The engine this adapter starts when it is given none: ``model`` and ``engine_args``
        (tensor / data parallel among them) as vLLM's own arguments."""
        return VLLMConfig(engine_args={**self.engine_args, "model": self.model})

    async def aruntime(self) -> EngineRuntime:
        """:meth:`runtime` without blocking the caller's event loop during the start-up."""
        if self._runtime is not None:
            return self._runtime
        return await asyncio.to_thread(self.runtime)

    @property
    def model_name(self) -> str:
        if self.model is not None:
            return self.model
        if self._runtime is not None:
            return self._runtime.llm.model_config.model
        return "SmolLM2-135M-Instruct"

    def invalidate_similar(self, question: str, similarity: float | None = None, dry_run: bool = False) -> Invalidation:
        """The engine's ``invalidate_similar`` within this object's tenant (see ``cache.invalidation``)."""
        runtime = self.runtime()
        return runtime.run(
            runtime.llm.invalidate_similar(question, similarity=similarity, tenant=self.tenant, dry_run=dry_run)
        )

    def invalidate_tenant(self, dry_run: bool = False) -> Invalidation:
        """Every answer of this object's tenant (None: the namespace's default tenant), from every level."""
        runtime = self.runtime()
        return runtime.run(runtime.llm.invalidate_tenant(self.tenant, dry_run=dry_run))

    def request_options(self, kwargs: dict[str, Any], question: str | None = None) -> dict[str, Any]:
        """``add_request``'s own keywords for one call: this object's ``tenant``, the ``question``
        and the call's ``cache_control`` (taken out of ``kwargs``; see ``CacheControl``)."""
        return {"tenant": self.tenant, "question": question, "cache_control": kwargs.pop("cache_control", None)}

    def sampling_params(
        self,
        stop: list[str] | None,
        streaming: bool,
        json_schema: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> SamplingParams:
        """SamplingParams from the fields, overridden by call-time ``kwargs``; ``json_schema``
        constrains the output through vLLM's structured outputs (guided JSON decoding), its
        strings bounded so that the object fits in ``max_tokens``."""
        if kwargs.get("model") not in (None, self.model, self.model_name):
            raise ValueError(f"this engine serves {self.model_name}; a call cannot switch to {kwargs['model']!r}")
        values = {name: kwargs.get(name, getattr(self, name)) for name in SAMPLING_FIELDS}
        if values["top_k"] is None:
            values["top_k"] = 0
        structured = None
        if json_schema is not None:
            structured = StructuredOutputsParams(json=fit_to_budget(json_schema, values["max_tokens"]))
        return SamplingParams(
            **values,
            stop=stop if stop is not None else self.stop,
            structured_outputs=structured,
            output_kind=RequestOutputKind.DELTA if streaming else RequestOutputKind.FINAL_ONLY,
        )


def usage_of(output: EnhancedRequestOutput, output_tokens: int | None = None) -> dict[str, int]:
    """Token counts of an output, in LangChain's ``usage_metadata`` shape."""
    input_tokens = len(output.prompt_token_ids or [])
    if output_tokens is None:
        output_tokens = len(output.outputs[0].token_ids) if output.outputs else 0
    return {"input_tokens": input_tokens, "output_tokens": output_tokens, "total_tokens": input_tokens + output_tokens}


def response_metadata_of(output: EnhancedRequestOutput, model_name: str) -> dict[str, Any]:
    """finish_reason, model and the cache pipeline's view of the request."""
    metadata = {key: output.metadata.get(key) for key in CACHE_METADATA if key in output.metadata}
    finish_reason = output.outputs[0].finish_reason if output.outputs else None
    return {"model_name": model_name, "finish_reason": finish_reason, **metadata}
