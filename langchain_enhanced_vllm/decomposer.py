"""``QuestionDecomposer``: the core NLTK decomposer as a ``Runnable[str, list[str]]``."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig, RunnableSerializable

from enhanced_vllm.nlp.decomposer import decompose


class QuestionDecomposer(RunnableSerializable[str, list[str]]):
    """Splits a compound question into self-contained sub-questions (no LLM call); a simple
    question comes back as a one-element list. Use it in LCEL, e.g.
    ``QuestionDecomposer() | answer_chain.map()``."""

    def invoke(self, input: str, config: RunnableConfig | None = None, **kwargs: Any) -> list[str]:
        return self._call_with_config(decompose, input, config, run_type="parser")
