"""Chroma-backed store of answered questions: one vector per question (cosine space), with the
answer, the sampling signature (which includes model and tenant), and an expiry time.

Chroma runs in a process of its own (``semantic.chroma_process``) and is called synchronously:
callers run these methods off the event loop.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from enhanced_vllm.semantic.chroma_process import ChromaCollection
from enhanced_vllm.semantic.index import VectorIndex

logger = logging.getLogger(__name__)

# a refresh re-reads this much before the newest entry seen: another process's entry can land in
# Chroma a little after its created_at (already-known ids are skipped)
REFRESH_OVERLAP_S = 5.0


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


class SemanticStore:
    """Chroma is the persistent (and, in server mode, shared) copy; queries read the in-process
    :class:`VectorIndex` mirror, loaded from Chroma at start. A ``shared`` store (Chroma server)
    also pulls the entries other processes added, every ``refresh_interval`` seconds, on a thread
    of its own. (Entries another process deletes stay in this mirror until they expire.)"""

    def __init__(
        self,
        collection: ChromaCollection,
        ttl: float,
        max_entries: int,
        dimension: int,
        shared: bool = False,
        refresh_interval: float = 1.0,
        device: str = "cpu",
    ) -> None:
        """``device``: where the mirror scores lookups (the embedder's)."""
        self._collection = collection
        self._ttl = ttl
        self._max_entries = max_entries
        self._refresh_interval = refresh_interval
        self.stamp: dict[str, Any] = {}  # added to every entry's metadata (the engine's namespace and epoch)
        self.index = VectorIndex(dimension, device)
        self._loaded_until = 0.0  # created_at of the newest entry pulled from Chroma
        self._load({"expires_at": {"$gt": time.time()}})
        self._stopped = threading.Event()
        if shared:  # off the lookup path: a slow or dead server never delays a lookup
            threading.Thread(target=self._refresh_until_closed, name="semantic-refresh", daemon=True).start()

    def _refresh_until_closed(self) -> None:
        while not self._stopped.wait(self._refresh_interval):
            try:
                self.refresh()
            except Exception as exc:  # Chroma is down: the mirror still answers (health reports it)
                logger.debug("semantic store refresh failed: %r", exc)

    def close(self) -> None:
        self._stopped.set()
        self._collection.close()

    def add_many(
        self,
        rows: list[tuple[np.ndarray, str, str, str, str, bytes | None, float | None]],
        ids: list[str] | None = None,
        extras: list[dict[str, Any]] | None = None,
    ) -> list[str]:
        """Write (embedding, question, answer, signature, tenant, output blob, ttl) rows in one call;
        a row's ttl None is the store's. ``ids``: the entries' ids (default: new ones); ``extras``:
        more metadata for each row."""
        if not rows:
            return []
        now = time.time()
        ids = list(ids) if ids is not None else [uuid.uuid4().hex for _ in rows]
        metadatas = []
        for row, extra in zip(rows, extras or [{}] * len(rows), strict=True):
            _, question, answer, signature, tenant, output_blob, ttl = row
            metadata = {
                "question": question,
                "answer": answer,
                "signature": signature,
                "tenant": tenant,
                "created_at": now,
                "expires_at": now + (self._ttl if ttl is None else ttl),
                **self.stamp,
                **extra,
            }
            if output_blob is not None:
                metadata["output"] = base64.b64encode(output_blob).decode()
            metadatas.append(metadata)
        vectors = np.stack([row[0] for row in rows]).astype(np.float32, copy=False)
        self._collection.add(ids, vectors, metadatas)
        self.index.add(ids, vectors, metadatas)  # only what Chroma holds
        self._enforce_size_bound()
        return ids

    def query(
        self, embeddings: np.ndarray, k: int, signature: str | None = None, tenant: str | None = None
    ) -> list[list[StoredQuestion]]:
        """The ``k`` nearest live entries for each embedding, best first."""
        return [
            [StoredQuestion(m["question"], m["answer"], score, m) for score, m in found]
            for found in self.index.query(embeddings, k, signature, tenant)
        ]

    def refresh(self) -> None:
        """Pull the entries added to Chroma since the last pull (by other processes)."""
        self._load({"created_at": {"$gte": self._loaded_until - REFRESH_OVERLAP_S}})

    def _load(self, where: dict, page: int = 1000) -> None:
        offset = 0
        while True:
            batch = self._collection.get(where, page, offset)
            if not batch["ids"]:
                return
            fresh = [i for i, entry_id in enumerate(batch["ids"]) if entry_id not in self.index]
            if fresh:
                vectors = batch["embeddings"][fresh]
                self.index.add([batch["ids"][i] for i in fresh], vectors, [batch["metadatas"][i] for i in fresh])
            created = [m["created_at"] for m in batch["metadatas"]]
            self._loaded_until = max(self._loaded_until, *created)
            offset += page

    def clear(self, tenant: str | None = None) -> None:
        self._collection.delete(where={"tenant": tenant} if tenant else {"created_at": {"$gte": 0}})
        self.index.remove(self.index.ids_where(tenant=tenant))

    def find(self, where: dict, page: int = 1000) -> list[dict[str, Any]]:
        """The metadata (with ``id``) of every entry in Chroma that ``where`` matches."""
        found, offset = [], 0
        while (batch := self._collection.get(where, page, offset))["ids"]:
            found += [{**m, "id": entry_id} for entry_id, m in zip(batch["ids"], batch["metadatas"], strict=True)]
            offset += page
        return found

    def delete(self, ids: list[str]) -> None:
        if ids:
            self._collection.delete(ids=ids)
            self.index.remove(ids)

    def retire_epochs_before(self, namespace: str, epoch: int, in_chroma: bool) -> None:
        """Drop ``namespace``'s entries of earlier epochs from the mirror and, with ``in_chroma``,
        from Chroma (the process that bumped the epoch does; the others only drop their mirrors')."""
        if in_chroma:
            self._collection.delete(where={"$and": [{"namespace": namespace}, {"epoch": {"$lt": epoch}}]})
        older = lambda m: m.get("namespace") == namespace and m.get("epoch", 0) < epoch  # noqa: E731
        self.index.remove(self.index.ids_where(where=older))

    def read_epoch(self, namespace: str) -> int:
        return self._collection.read_epoch(namespace)

    def bump_epoch(self, namespace: str) -> int:
        return self._collection.bump_epoch(namespace)

    def prune_expired(self) -> None:
        now = time.time()
        self._collection.delete(where={"expires_at": {"$lte": now}})
        self.index.remove(self.index.ids_where(expired_before=now))

    def count(self) -> int:
        return self._collection.count()

    def _enforce_size_bound(self) -> None:
        if len(self.index) <= self._max_entries:
            return
        self.prune_expired()
        excess = len(self.index) - self._max_entries
        if excess > 0:
            oldest = self.index.oldest(excess)
            self._collection.delete(ids=oldest)
            self.index.remove(oldest)

    def heartbeat(self) -> None:
        self._collection.count()
