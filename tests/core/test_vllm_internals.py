"""The vLLM internals the pipeline uses are where it expects them, or a clear error says which moved."""

from __future__ import annotations

import pytest

from enhanced_vllm.vllm_internals import VLLMInternalsChanged, check


def test_the_running_vllm_has_every_internal_we_use(engine):
    check(engine)


def test_a_vllm_without_them_fails_with_a_message_naming_what_moved():
    class OldEngine:
        output_processor = object()

    with pytest.raises(VLLMInternalsChanged, match=r"output_processor\.request_states"):
        check(OldEngine())
