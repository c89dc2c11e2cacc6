"""Vectors between processes: float32 bytes in base64 with their shape (JSON-safe, no pickle)."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np


def encode_vectors(vectors: Any) -> dict[str, Any]:
    array = np.asarray(vectors if vectors is not None else [], np.float32)
    return {"shape": list(array.shape), "data": base64.b64encode(array.astype("<f4").tobytes()).decode()}


def decode_vectors(encoded: dict[str, Any]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(encoded["data"]), "<f4").reshape(encoded["shape"])
