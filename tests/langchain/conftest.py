"""LangChain tests share one engine: every model object below uses these settings, so
``shared_runtime`` starts one engine (on its background loop thread) for the whole session."""

from __future__ import annotations

import pytest

from enhanced_vllm import SimilarityConfig

LC_SETTINGS = {"similarity_config": SimilarityConfig(chroma_mode="ephemeral", max_hold_ms=5000)}


def settle(model) -> None:
    """Wait for the engine's background cache writes (the semantic store is written after the answer)."""
    runtime = model.runtime()
    runtime.run(runtime.llm.flush_cache_writes())


@pytest.fixture(scope="session")
def chat():
    from langchain_enhanced_vllm import ChatEnhancedVLLM

    model = ChatEnhancedVLLM(max_tokens=48, **LC_SETTINGS)
    model.runtime()  # start the engine once, outside any test's timing
    return model


@pytest.fixture(scope="session", autouse=True)
def _stop_the_shared_engine():
    """Stop it while pytest still captures output (vLLM logs during shutdown)."""
    yield
    from enhanced_vllm.runtime import stop_shared_runtimes

    stop_shared_runtimes()
