"""Requests the engine refuses: the caller gets vLLM's typed error (a ``ValueError``; from vLLM 0.32
on, validation errors are ``VLLMClientError`` instead), followers of the shared generation get the
same one, nothing is cached, and the engine keeps serving."""

from __future__ import annotations

import asyncio

import pytest
from vllm.sampling_params import StructuredOutputsParams

from tests.helpers import VLLM_REQUEST_ERRORS, collect, greedy, unique_prompt

REFUSED = {
    "logprobs-over-the-engine-limit": (lambda: unique_prompt("a kite"), lambda: greedy(logprobs=10_000)),
    "prompt-longer-than-max-model-len": (lambda: "word " * 5000, greedy),
    "token-id-outside-the-vocabulary": (lambda: {"prompt_token_ids": [1, 2, 10**9]}, greedy),
    "unsatisfiable-structured-output-schema": (
        lambda: unique_prompt("a kite"),
        lambda: greedy(structured_outputs=StructuredOutputsParams(json={"type": "no-such-type"})),
    ),
}


@pytest.mark.parametrize("case", REFUSED)
async def test_refused_request_raises_for_every_follower_and_caches_nothing(llm, case):
    make_prompt, make_params = REFUSED[case]
    prompt, params = make_prompt(), make_params()
    entries = len(llm.memory)
    results = await asyncio.gather(*(collect(llm, prompt, params) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, VLLM_REQUEST_ERRORS) for r in results), results
    assert len({f"{type(r).__name__}: {r}" for r in results}) == 1, "followers got another error"
    assert len(llm.memory) == entries and not llm.flights.by_key
    assert llm.output_processor.get_num_unfinished_requests() == 0
    served = await collect(llm, unique_prompt("a kite after an error"), greedy(max_tokens=4))
    assert served[-1].finished and served[-1].text
