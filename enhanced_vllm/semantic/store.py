"""Chroma-backed store of answered questions: one vector per question (cosine space), with the
answer, the sampling signature (which includes model and tenant), and an expiry time.

Chroma is called synchronously; callers run these methods off the event loop.
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from enhanced_vllm.config import SimilarityConfig


@dataclass(frozen=True)
class StoredQuestion:
    question: str
    answer: str
    score: float
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def blob(self) -> bytes | None:
        """The encoded finished output (see ``cache.codec``), when one was stored."""
        encoded = self.metadata.get("output")
        return base64.b64decode(encoded) if encoded else None


def make_client(config: SimilarityConfig) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=False)
    if config.chroma_mode == "http":
        return chromadb.HttpClient(host=config.chroma_host, port=config.chroma_port, settings=settings)
    if config.chroma_mode == "ephemeral":
        return chromadb.EphemeralClient(settings=settings)
    return chromadb.PersistentClient(path=str(config.chroma_path), settings=settings)


class SemanticStore:
    def __init__(self, client: Any, collection: str, ttl: float, max_entries: int) -> None:
        self._collection = client.get_or_create_collection(
            collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        self._ttl = ttl
        self._max_entries = max_entries

    def add(
        self,
        embedding: np.ndarray,
        question: str,
        answer: str,
        signature: str,
        tenant: str,
        output_blob: bytes | None = None,
    ) -> str:
        entry_id = uuid.uuid4().hex
        now = time.time()
        metadata = {
            "question": question,
            "answer": answer,
            "signature": signature,
            "tenant": tenant,
            "created_at": now,
            "expires_at": now + self._ttl,
        }
        if output_blob is not None:
            metadata["output"] = base64.b64encode(output_blob).decode()
        self._collection.add(ids=[entry_id], embeddings=[embedding.tolist()], metadatas=[metadata])
        self._enforce_size_bound()
        return entry_id

    def query(
        self, embeddings: np.ndarray, k: int, signature: str | None = None, tenant: str | None = None
    ) -> list[list[StoredQuestion]]:
        """The ``k`` nearest live entries for each embedding, best first."""
        conditions: list[dict] = [{"expires_at": {"$gt": time.time()}}]
        if signature is not None:
            conditions.append({"signature": signature})
        if tenant is not None:
            conditions.append({"tenant": tenant})
        where = conditions[0] if len(conditions) == 1 else {"$and": conditions}
        result = self._collection.query(
            query_embeddings=embeddings.tolist(), n_results=k, where=where, include=["metadatas", "distances"]
        )
        return [
            [
                StoredQuestion(m["question"], m["answer"], 1.0 - float(d), dict(m))
                for m, d in zip(metas, distances, strict=True)
            ]
            for metas, distances in zip(result["metadatas"], result["distances"], strict=True)
        ]

    def clear(self, tenant: str | None = None) -> None:
        self._collection.delete(where={"tenant": tenant} if tenant else {"created_at": {"$gte": 0}})

    def prune_expired(self) -> None:
        self._collection.delete(where={"expires_at": {"$lte": time.time()}})

    def count(self) -> int:
        return self._collection.count()

    def _enforce_size_bound(self) -> None:
        excess = self._collection.count() - self._max_entries
        if excess <= 0:
            return
        self.prune_expired()
        excess = self._collection.count() - self._max_entries
        if excess > 0:
            entries = self._collection.get(include=["metadatas"])
            oldest = sorted(zip(entries["ids"], entries["metadatas"], strict=True), key=lambda e: e[1]["created_at"])
            self._collection.delete(ids=[entry_id for entry_id, _ in oldest[:excess]])

    def heartbeat(self) -> None:
        self._collection.count()
