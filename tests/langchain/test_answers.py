"""ChatEnhancedVLLM's greedy answers equal transformers' on the same weights (see enhanced_vllm.answers)."""

from __future__ import annotations

import uuid

from enhanced_vllm.answers import MAX_TOKENS, all_conversations
from tests.helpers import ADAPTER_SETTINGS


def test_langchain_chat_model_equals_transformers_greedy(reference):
    from langchain_enhanced_vllm import ChatEnhancedVLLM

    chat = ChatEnhancedVLLM(max_tokens=MAX_TOKENS, tenant=f"answers-{uuid.uuid4().hex}", **ADAPTER_SETTINGS)
    for name, messages in all_conversations().items():
        assert chat.invoke(messages).content.strip() == reference[name].text.strip(), name
