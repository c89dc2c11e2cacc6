"""LlamaIndex tests use the same adapter settings as the LangChain ones: one shared engine."""

from __future__ import annotations

import pytest

from tests.helpers import ADAPTER_SETTINGS


@pytest.fixture(scope="session")
def li_llm():
    from llamaindex_enhanced_vllm import EnhancedVLLM

    llm = EnhancedVLLM(max_tokens=48, **ADAPTER_SETTINGS)
    llm.runtime()
    return llm


@pytest.fixture(scope="session")
def embed_model():
    from llamaindex_enhanced_vllm import EnhancedEmbedding

    return EnhancedEmbedding()


@pytest.fixture(scope="session")
def documents():
    from llama_index.core import Document

    return [
        Document(text="Paris is the capital of France. The Eiffel Tower stands in Paris."),
        Document(text="Madrid is the capital of Spain. The Prado museum is in Madrid."),
    ]
