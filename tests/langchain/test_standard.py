"""LangChain's standard test suites (langchain-tests) for ChatEnhancedVLLM, on the real engine.

The 13 skips, and why they stay skipped:
- test_init_from_env: no API key or endpoint to read from the environment (an in-process engine);
- test_serdes: the model holds engine/handler objects and typed configs, so it is not
  LangChain-serialisable (``is_lc_serializable`` is False, as for most local-model integrations);
- the four *_with_model_override tests: one engine serves one model; a per-call ``model=`` naming
  another is rejected with a ValueError rather than silently ignored;
- image, PDF, audio inputs and tool messages, Anthropic-format inputs: the model is text-only;
- test_stream_time: needs VCR cassettes of a remote API (there is none).
"""

from __future__ import annotations

from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from langchain_enhanced_vllm import ChatEnhancedVLLM
from tests.helpers import ADAPTER_SETTINGS


class _OurModel:
    @property
    def chat_model_class(self) -> type[ChatEnhancedVLLM]:
        return ChatEnhancedVLLM

    @property
    def chat_model_params(self) -> dict:
        return dict(ADAPTER_SETTINGS)


class TestChatEnhancedVLLMUnit(_OurModel, ChatModelUnitTests):
    pass


class TestChatEnhancedVLLMIntegration(_OurModel, ChatModelIntegrationTests):
    @property
    def supports_json_mode(self) -> bool:
        return True  # json_mode is guided by the schema too
