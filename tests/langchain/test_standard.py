"""LangChain's standard test suites (langchain-tests) for ChatEnhancedVLLM, on the real engine."""

from __future__ import annotations

from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from langchain_enhanced_vllm import ChatEnhancedVLLM
from tests.langchain.conftest import LC_SETTINGS


class TestChatEnhancedVLLMUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatEnhancedVLLM]:
        return ChatEnhancedVLLM

    @property
    def chat_model_params(self) -> dict:
        return dict(LC_SETTINGS)


class TestChatEnhancedVLLMIntegration(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatEnhancedVLLM]:
        return ChatEnhancedVLLM

    @property
    def chat_model_params(self) -> dict:
        return dict(LC_SETTINGS)

    @property
    def supports_json_mode(self) -> bool:
        return True  # json_mode is guided by the schema too
