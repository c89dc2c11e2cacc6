"""``EnhancedEmbedding``: the bundled sentence-transformers model (or any configured one) as a
LlamaIndex embedding, offline; the same model and weights the semantic cache uses."""

from __future__ import annotations

import asyncio
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import PrivateAttr

from enhanced_vllm.embeddings import Embedder, shared_embedder


class EnhancedEmbedding(BaseEmbedding):
    """``model_name=None`` is the bundled all-MiniLM-L6-v2 (384 dimensions, normalised)."""

    model_name: str | None = None
    _embedder: Embedder | None = PrivateAttr(default=None)

    def __init__(self, model_name: str | None = None, **kwargs: Any) -> None:
        super().__init__(model_name=model_name, **kwargs)

    @classmethod
    def class_name(cls) -> str:
        return "EnhancedEmbedding"

    def _model(self) -> Embedder:
        if self._embedder is None:
            self._embedder = shared_embedder(self.model_name)
        return self._embedder

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._model().embed(list(texts)).tolist()

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._get_text_embeddings([query])[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return await asyncio.to_thread(self._get_query_embedding, query)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await asyncio.to_thread(self._get_text_embeddings, texts)
