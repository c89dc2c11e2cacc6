"""LangChain tests share one engine with the LlamaIndex tests: every model object uses
``ADAPTER_SETTINGS``, so ``shared_runtime`` starts one engine for the whole session."""

from __future__ import annotations

import pytest

from tests.helpers import ADAPTER_SETTINGS


@pytest.fixture(scope="session")
def chat():
    from langchain_enhanced_vllm import ChatEnhancedVLLM

    model = ChatEnhancedVLLM(max_tokens=48, **ADAPTER_SETTINGS)
    model.runtime()  # start the engine once, outside any test's timing
    return model
