"""Cache values: a finished ``RequestOutput`` as msgpack data (never pickle), optionally zlib
compressed. The first byte says which, so processes with different compression settings can share
one Redis. Each value carries the wall time its answer was generated (``created_at``), which
``max_age`` reads; values written before it had none and are never fresh enough for a ``max_age``.
Anything that does not decode into the expected shape raises :class:`CorruptEntry`, and so
does a value over ``MAX_VALUE_BYTES`` stored or decompressed (a decompression bomb stops at the limit).
"""

from __future__ import annotations

import time
import zlib
from typing import Any

import msgpack
from vllm.logprobs import Logprob
from vllm.outputs import CompletionOutput, RequestOutput

FORMAT_VERSION = 1
_RAW, _ZLIB = b"r", b"z"
MAX_VALUE_BYTES = 64 << 20  # far above any answer (a 128k-token output with logprobs is ~10 MB)


class CorruptEntry(ValueError):
    """A stored value that cannot be decoded; callers treat it as a miss and delete it."""


def _encode_logprobs(logprobs: Any) -> list | None:
    if logprobs is None:
        return None
    return [
        None if position is None else [[tok, lp.logprob, lp.rank, lp.decoded_token] for tok, lp in position.items()]
        for position in logprobs
    ]


def _decode_logprobs(data: list | None) -> list | None:
    if data is None:
        return None
    return [
        None
        if position is None
        else {int(tok): Logprob(float(lp), rank, decoded) for tok, lp, rank, decoded in position}
        for position in data
    ]


def encode(output: RequestOutput, compress: bool = False, created_at: float | None = None) -> bytes:
    """The value of ``output``, generated at ``created_at`` (wall time; default now)."""
    payload = {
        "v": FORMAT_VERSION,
        "created_at": time.time() if created_at is None else created_at,
        "prompt": output.prompt,
        "prompt_token_ids": list(output.prompt_token_ids or []),
        "prompt_logprobs": _encode_logprobs(output.prompt_logprobs),
        "num_cached_tokens": output.num_cached_tokens,
        "outputs": [
            {
                "index": c.index,
                "text": c.text,
                "token_ids": list(c.token_ids),
                "cumulative_logprob": c.cumulative_logprob,
                "logprobs": _encode_logprobs(c.logprobs),
                "finish_reason": c.finish_reason,
                "stop_reason": c.stop_reason,
            }
            for c in output.outputs
        ],
    }
    raw = msgpack.packb(payload, use_bin_type=True)
    return _ZLIB + zlib.compress(raw, 1) if compress else _RAW + raw


def decode(blob: bytes, request_id: str) -> RequestOutput:
    """Rebuild a finished ``RequestOutput`` for ``request_id``."""
    return decode_entry(blob, request_id)[0]


def decode_entry(blob: bytes, request_id: str) -> tuple[RequestOutput, float | None]:
    """The finished ``RequestOutput`` for ``request_id`` and the wall time it was generated (None:
    a value from before the time was recorded)."""
    try:
        if len(blob) > MAX_VALUE_BYTES:
            raise CorruptEntry(f"cache value of {len(blob)} bytes > {MAX_VALUE_BYTES}")
        tag, body = blob[:1], blob[1:]
        if tag == _ZLIB:
            inflater = zlib.decompressobj()
            body = inflater.decompress(body, MAX_VALUE_BYTES)
            if inflater.unconsumed_tail:
                raise CorruptEntry(f"cache value inflates past {MAX_VALUE_BYTES} bytes")
            if not inflater.eof:
                raise CorruptEntry("truncated compressed cache value")
        elif tag != _RAW:
            raise CorruptEntry(f"unknown cache value format {tag!r}")
        data = msgpack.unpackb(body, raw=False, strict_map_key=False)
        if data["v"] != FORMAT_VERSION:
            raise CorruptEntry(f"cache value version {data['v']} != {FORMAT_VERSION}")
        outputs = [
            CompletionOutput(
                index=int(c["index"]),
                text=str(c["text"]),
                token_ids=[int(t) for t in c["token_ids"]],
                cumulative_logprob=c["cumulative_logprob"],
                logprobs=_decode_logprobs(c["logprobs"]),
                finish_reason=c["finish_reason"],
                stop_reason=c["stop_reason"],
            )
            for c in data["outputs"]
        ]
        created_at = data.get("created_at")
        output = RequestOutput(
            request_id=request_id,
            prompt=data["prompt"],
            prompt_token_ids=[int(t) for t in data["prompt_token_ids"]],
            prompt_logprobs=_decode_logprobs(data["prompt_logprobs"]),
            outputs=outputs,
            finished=True,
            num_cached_tokens=data["num_cached_tokens"],
        )
        return output, None if created_at is None else float(created_at)
    except CorruptEntry:
        raise
    except Exception as exc:  # any malformed payload: msgpack, zlib, missing keys, bad types
        raise CorruptEntry(f"undecodable cache value: {exc!r}") from exc
