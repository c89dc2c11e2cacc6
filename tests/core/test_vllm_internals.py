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


async def test_prompts_reach_vllm_rendered_never_raw(llm, monkeypatch):
    """vLLM 0.26-0.32 deprecate raw prompts in add_request: the pipeline renders them first, with
    the caller's tokenization arguments, and the answer is the one a raw prompt gets."""
    from vllm.inputs import TokensPrompt
    from vllm.v1.engine.async_llm import AsyncLLM

    from enhanced_vllm.vllm_internals import SYNC_RENDER_MAX_CHARS, is_rendered
    from tests.helpers import collect, greedy, unique_prompt

    seen = []
    real_add = AsyncLLM.add_request

    async def spy(self, request_id, prompt, *args, **kwargs):
        seen.append((prompt, args, kwargs))
        return await real_add(self, request_id, prompt, *args, **kwargs)

    monkeypatch.setattr(AsyncLLM, "add_request", spy)
    text = unique_prompt("a quiet harbour")
    long_text = unique_prompt("x" * SYNC_RENDER_MAX_CHARS)
    tokens = TokensPrompt(prompt_token_ids=[1, 2, 3, 4])
    outputs = [await collect(llm, p, greedy(max_tokens=4)) for p in (text, long_text, tokens)]
    no_special = await collect(llm, text, greedy(max_tokens=4), tokenization_kwargs={"add_special_tokens": False})
    again = await collect(llm, text, greedy(max_tokens=4), tokenization_kwargs={"add_special_tokens": False})
    assert no_special[-1].metadata["cached"] is False, "tokenization arguments are part of the key"
    assert again[-1].metadata["cache_level"] == "memory"
    assert len(seen) == 4 and all(is_rendered(prompt) for prompt, _, _ in seen)
    assert all("tokenization_kwargs" not in kwargs for _, _, kwargs in seen)
    assert outputs[0][-1].prompt == text and outputs[2][-1].prompt_token_ids == [1, 2, 3, 4]
    assert no_special[-1].finished
    monkeypatch.setattr(AsyncLLM, "add_request", real_add)
    raw = await real_add(llm, "raw", text, greedy(max_tokens=4))
    output = None
    while output is None or not output.finished:
        output = raw.get_nowait() or await raw.get()
    assert output.outputs[0].token_ids == outputs[0][-1].outputs[0].token_ids, "rendering changes nothing"
