"""The core adapter settings plus what LangChain asks every model for: identifying and tracing parameters."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.language_models.base import LangSmithParams

from enhanced_vllm.adapters import EngineSettings


class EngineFields(EngineSettings):
    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model_name, "max_tokens": self.max_tokens, "temperature": self.temperature}

    def ls_params(self, model_type: Literal["chat", "llm"], stop: list[str] | None, kwargs: dict) -> LangSmithParams:
        """LangSmith tracing parameters, per-call overrides first."""
        params = LangSmithParams(
            ls_provider="enhanced_vllm",
            ls_model_name=kwargs.get("model") or self.model_name,
            ls_model_type=model_type,
            ls_temperature=kwargs.get("temperature", self.temperature),
        )
        if (max_tokens := kwargs.get("max_tokens", self.max_tokens)) is not None:
            params["ls_max_tokens"] = max_tokens
        if stop := stop or self.stop:
            params["ls_stop"] = stop
        return params
