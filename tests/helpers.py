"""Shared test helpers."""

from __future__ import annotations

import uuid

from vllm import SamplingParams
from vllm.sampling_params import RequestOutputKind

from enhanced_vllm import HandlerConfig

EXACT_ONLY = HandlerConfig(features={"enable_similarity_search": False})  # no semantic stage


def greedy(max_tokens: int = 8, kind: RequestOutputKind = RequestOutputKind.CUMULATIVE, **kw) -> SamplingParams:
    return SamplingParams(temperature=0, max_tokens=max_tokens, output_kind=kind, **kw)


def unique_prompt(topic: str = "a lighthouse keeper") -> str:
    """A prompt no other test uses, so cache state never leaks between tests."""
    return f"Write one sentence about {topic} number {uuid.uuid4().hex[:6]}:"


async def collect(llm, prompt, params, request_id=None, **kw):
    outputs = []
    async for out in llm.generate(prompt, params, request_id or uuid.uuid4().hex, **kw):
        outputs.append(out)
    return outputs
