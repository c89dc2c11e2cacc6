"""Cache keys: a stable SHA-256 over everything that can change an answer.

What counts:
- model identity: model path/name, revision, tokenizer, tokenizer revision, dtype, quantization;
- the prompt exactly as given: text, token ids, or a prompt dict (chat messages must already be
  rendered through the chat template, which the adapters do);
- every ``SamplingParams`` field except the ones that only change *how* results are delivered
  (``output_kind``, ``stream_interval``, ``skip_clone``, ``skip_reading_prefix_cache``,
  ``trace_decode_token_ids``) and private fields derived from the others. New vLLM fields are
  therefore included by default: an unknown field splits the cache rather than mixing answers;
- the LoRA adapter (name, id, path) and the tenant/namespace;
- the namespace epoch (``cache.epoch``), once bumped: a new epoch retires every older key.

The exact digest depends on the request alone. The semantic ``signature`` also covers the question's
context (the prompt around the question, see ``enhanced_vllm.prompts``), so only paraphrases asked
in the same context share answers.

Policy for sampled requests (temperature > 0): cached when ``seed`` is set; otherwise bypassed
unless ``CacheConfig.cache_sampled_without_seed``. Requests that cannot be keyed (callables,
tensors, multimodal data, streaming input) bypass the cache; :meth:`KeyBuilder.build` returns None.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import msgspec
from cachetools import LRUCache

from enhanced_vllm.errors import UncacheableRequest
from enhanced_vllm.prompts import Question

KEY_VERSION = 3
SIGNATURE_MEMO_SIZE = 1024
DELIVERY_ONLY_FIELDS = frozenset(
    {
        "output_kind",
        "stream_interval",
        "skip_clone",
        "skip_reading_prefix_cache",
        "trace_decode_token_ids",
    }
)
MODEL_IDENTITY_FIELDS = (
    "model",
    "revision",
    "tokenizer",
    "tokenizer_revision",
    "dtype",
    "quantization",
)


@dataclass(frozen=True)
class CacheKey:
    """``digest`` identifies the exact request; ``signature`` covers everything but the prompt,
    so the semantic stage can restrict matches to the same model, sampling and tenant."""

    digest: str
    signature: str
    tenant: str
    prompt_text: str | None  # the question the semantic stage matches; None: it does not run


def canonical(value: Any) -> Any:
    """A JSON-able, order-stable form of ``value``; raises UncacheableRequest for anything else."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((canonical(v) for v in value), key=repr)
    if isinstance(value, msgspec.Struct):
        return canonical(msgspec.structs.asdict(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return canonical({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if hasattr(value, "model_dump"):
        return canonical(value.model_dump())
    raise UncacheableRequest(f"cannot key a value of type {type(value).__name__}")


def _digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def model_identity(model_config: Any) -> dict[str, Any]:
    """The parts of a vLLM ``ModelConfig`` that determine what the model answers."""
    return {name: str(getattr(model_config, name, None)) for name in MODEL_IDENTITY_FIELDS}


def sampling_signature(params: Any) -> dict[str, Any]:
    """The output-affecting fields; a float field given an int (``temperature=0``) reads as that float,
    so ``temperature=0`` and ``temperature=0.0`` are one request."""
    floats = _float_fields(type(params))
    fields = msgspec.structs.asdict(params)
    return canonical(
        {
            k: float(v) if k in floats and type(v) is int else v
            for k, v in fields.items()
            if not k.startswith("_") and k not in DELIVERY_ONLY_FIELDS
        }
    )


@functools.cache
def _float_fields(struct: type) -> frozenset[str]:
    return frozenset(f.name for f in msgspec.structs.fields(struct) if f.type is float)


class KeyBuilder:
    """Builds :class:`CacheKey` objects for one engine (its model identity is fixed)."""

    def __init__(self, model: dict[str, Any], namespace: str, cache_sampled_without_seed: bool = False) -> None:
        self._model = model
        self._namespace = namespace
        self._cache_sampled_without_seed = cache_sampled_without_seed
        self.epoch = 0
        # (params as msgspec JSON, tenant) -> signature: canonicalising ~40 fields costs ~100 us,
        # more than the rest of a cache hit; the raw encoding is only a lookup key here
        self._signatures: LRUCache[tuple[bytes, str], str] = LRUCache(SIGNATURE_MEMO_SIZE)

    def set_epoch(self, epoch: int) -> None:
        """Build keys of ``epoch`` from now on (keys of epoch 0 are the keys from before epochs)."""
        self.epoch = epoch
        self._signatures.clear()

    def _signature(self, params: Any, lora_request: Any, tenant: str) -> str:
        """The digest of model, sampling, LoRA and tenant (raises UncacheableRequest)."""
        fingerprint = None
        if lora_request is None:
            try:
                fingerprint = (msgspec.json.encode(params), tenant)
            except (TypeError, msgspec.EncodeError):
                fingerprint = None
            if fingerprint is not None and (signature := self._signatures.get(fingerprint)) is not None:
                return signature
        lora = None
        if lora_request is not None:
            lora = canonical(
                {
                    "name": getattr(lora_request, "lora_name", None),
                    "id": getattr(lora_request, "lora_int_id", None),
                    "path": getattr(lora_request, "lora_path", None),
                }
            )
        fields = {"v": KEY_VERSION, "model": self._model, "sampling": sampling_signature(params), "lora": lora}
        signature = _digest({**fields, "tenant": tenant, **({"epoch": self.epoch} if self.epoch else {})})
        if fingerprint is not None:
            self._signatures[fingerprint] = signature
        return signature

    def build(
        self,
        prompt: Any,
        params: Any,
        lora_request: Any = None,
        tenant: str | None = None,
        question: Question | None = None,
        tokenization_kwargs: dict[str, Any] | None = None,
    ) -> CacheKey | None:
        """The key of this request, or None when the request must bypass the cache.

        ``question`` is the part of the prompt the semantic stage matches on (None: it does not
        run); its context joins the signature. ``tokenization_kwargs`` (vLLM's, e.g.
        ``add_special_tokens``) change the tokens the engine sees, so they join the digest.
        """
        if not self.is_cacheable(params):
            return None
        if isinstance(prompt, dict) and prompt.get("multi_modal_data"):
            return None
        tenant = tenant or self._namespace
        try:
            signature = self._signature(params, lora_request, tenant)
            prompt_form = canonical(prompt)
            if tokenization_kwargs:
                prompt_form = {"prompt": prompt_form, "tokenization": canonical(tokenization_kwargs)}
        except UncacheableRequest:
            return None
        digest = _digest({"signature": signature, "prompt": prompt_form})
        text = question.text if question is not None else None
        if text is not None and question.context:
            signature = _digest({"signature": signature, "context": question.context})
        return CacheKey(digest, signature, tenant, text)

    def is_cacheable(self, params: Any) -> bool:
        if getattr(params, "logits_processors", None):
            return False
        sampled = (params.temperature or 0) > 0
        return not sampled or params.seed is not None or self._cache_sampled_without_seed
