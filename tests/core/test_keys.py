"""Cache-key policy (pure logic): what changes the key and what does not."""

from __future__ import annotations

import pytest
from vllm import SamplingParams
from vllm.lora.request import LoRARequest
from vllm.sampling_params import RequestOutputKind, StructuredOutputsParams

from enhanced_vllm.cache.keys import KeyBuilder

MODEL = {"model": "m", "revision": "None", "tokenizer": "m", "tokenizer_revision": "None", "dtype": "bf16"}


def key(prompt="Hello", params=None, lora=None, tenant=None, model=MODEL, namespace="default"):
    params = params or SamplingParams(temperature=0, max_tokens=16)
    return KeyBuilder(model, namespace).build(prompt, params, lora, tenant)


def base(**changes) -> SamplingParams:
    fields = {"temperature": 0.7, "seed": 1, "max_tokens": 16, **changes}  # sampled: every knob matters
    return SamplingParams(**fields)


OUTPUT_AFFECTING = {
    "max_tokens": {"max_tokens": 17},
    "top_p": {"top_p": 0.5},
    "top_k": {"top_k": 5},
    "min_p": {"min_p": 0.1},
    "stop": {"stop": ["\n"]},
    "stop_token_ids": {"stop_token_ids": [2]},
    "seed": {"seed": 3},
    "presence_penalty": {"presence_penalty": 0.5},
    "frequency_penalty": {"frequency_penalty": 0.5},
    "repetition_penalty": {"repetition_penalty": 1.2},
    "logprobs": {"logprobs": 2},
    "prompt_logprobs": {"prompt_logprobs": 1},
    "min_tokens": {"min_tokens": 2},
    "ignore_eos": {"ignore_eos": True},
    "include_stop_str_in_output": {"include_stop_str_in_output": True},
    "skip_special_tokens": {"skip_special_tokens": False},
    "logit_bias": {"logit_bias": {5: 1.0}},
    "allowed_token_ids": {"allowed_token_ids": [1, 2, 3]},
    "bad_words": {"bad_words": ["no"]},
    "structured_outputs": {"structured_outputs": StructuredOutputsParams(json={"type": "object"})},
}


@pytest.mark.parametrize("change", OUTPUT_AFFECTING.values(), ids=OUTPUT_AFFECTING.keys())
def test_each_output_affecting_field_changes_the_key(change):
    assert key(params=base(**change)).digest != key(params=base()).digest


def test_temperature_and_n_change_the_key_for_seeded_sampling():
    seeded = key(params=base(temperature=0.7, seed=1))
    assert seeded.digest != key(params=base(temperature=0.8, seed=1)).digest
    assert seeded.digest != key(params=base(temperature=0.7, seed=1, n=2)).digest


def test_delivery_only_fields_do_not_change_the_key():
    assert key(params=base(output_kind=RequestOutputKind.DELTA)).digest == key(params=base()).digest


def test_prompt_model_tenant_namespace_and_lora_change_the_key():
    reference = key()
    assert key(prompt="Hello!").digest != reference.digest
    assert key(prompt={"prompt_token_ids": [1, 2]}).digest != key(prompt={"prompt_token_ids": [1, 3]}).digest
    assert key(model={**MODEL, "model": "other"}).digest != reference.digest
    assert key(tenant="alice").digest != reference.digest
    assert key(namespace="staging").digest != reference.digest
    lora = LoRARequest("adapter", 1, "/tmp/adapter")
    assert key(lora=lora).digest != reference.digest


def test_key_is_stable_and_signature_excludes_the_prompt():
    assert key().digest == key().digest
    assert key(prompt="a").signature == key(prompt="b").signature
    assert key(tenant="x").signature != key().signature


def test_sampled_requests_policy():
    unseeded = SamplingParams(temperature=0.8, max_tokens=16)
    assert key(params=unseeded) is None
    assert key(params=base(temperature=0.8, seed=1)) is not None
    assert KeyBuilder(MODEL, "default", cache_sampled_without_seed=True).build("Hi", unseeded) is not None


def test_unkeyable_requests_bypass():
    assert key(prompt={"prompt": "x", "multi_modal_data": {"image": object()}}) is None
    assert key(prompt={"prompt_embeds": object()}) is None


def test_an_int_given_for_a_float_field_is_that_float():
    """``temperature=0`` and ``temperature=0.0`` are one request (json writes 0 and 0.0 apart)."""
    as_int = SamplingParams(temperature=0, top_p=1, repetition_penalty=1, max_tokens=16)
    as_float = SamplingParams(temperature=0.0, top_p=1.0, repetition_penalty=1.0, max_tokens=16)
    assert key(params=as_int).digest == key(params=as_float).digest
    sampled = key(params=SamplingParams(temperature=1, seed=7)).digest
    assert sampled == key(params=SamplingParams(temperature=1.0, seed=7)).digest
    assert sampled != key(params=SamplingParams(temperature=0.5, seed=7)).digest
