"""LlamaIndex's EnhancedVLLM greedy answers equal transformers' on the same weights (see enhanced_vllm.answers)."""

from __future__ import annotations

import uuid

from enhanced_vllm.answers import MAX_TOKENS, all_conversations
from tests.helpers import ADAPTER_SETTINGS


def test_llamaindex_llm_equals_transformers_greedy(reference):
    from llama_index.core.llms import ChatMessage

    from llamaindex_enhanced_vllm import EnhancedVLLM

    llm = EnhancedVLLM(max_tokens=MAX_TOKENS, tenant=f"answers-{uuid.uuid4().hex}", **ADAPTER_SETTINGS)
    for name, messages in all_conversations().items():
        response = llm.chat([ChatMessage(role=m["role"], content=m["content"]) for m in messages])
        assert response.message.content.strip() == reference[name].text.strip(), name
