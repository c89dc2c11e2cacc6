"""An in-process mirror of the semantic store's vectors: exact cosine search by one matrix product.

Chroma stays the persistent and shared store; a lookup reads this mirror instead (Chroma's query
took 5-10 ms per call from Python, the mirror ~0.1 ms for 10,000 entries). Entries are grouped by
sampling signature, the filter every cache lookup has, so a lookup scores only its own group.
Thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class _Group:
    """The entries of one signature: their vectors (rows, with spare capacity) and metadata."""

    vectors: np.ndarray
    ids: list[str] = field(default_factory=list)
    metadatas: list[dict[str, Any]] = field(default_factory=list)
    expires_at: list[float] = field(default_factory=list)

    def append(self, entry_id: str, vector: np.ndarray, metadata: dict[str, Any]) -> None:
        size = len(self.ids)
        if size == len(self.vectors):
            grown = np.empty((max(16, 2 * size), self.vectors.shape[1]), np.float32)
            grown[:size] = self.vectors
            self.vectors = grown
        self.vectors[size] = vector
        self.ids.append(entry_id)
        self.metadatas.append(metadata)
        self.expires_at.append(float(metadata["expires_at"]))

    def remove(self, position: int) -> str | None:
        """Remove the entry at ``position`` by moving the last one into it; returns the moved id."""
        last = len(self.ids) - 1
        moved = None
        if position != last:
            self.vectors[position] = self.vectors[last]
            self.ids[position] = self.ids[last]
            self.metadatas[position] = self.metadatas[last]
            self.expires_at[position] = self.expires_at[last]
            moved = self.ids[position]
        self.ids.pop()
        self.metadatas.pop()
        self.expires_at.pop()
        return moved


class VectorIndex:
    """Normalised vectors with their store metadata (``signature``, ``tenant``, ``expires_at``, ...)."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self._groups: dict[str, _Group] = {}
        self._where: dict[str, tuple[str, int]] = {}  # entry id -> (signature, position)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, entry_id: str) -> bool:
        return entry_id in self._where

    def add(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict[str, Any]]) -> None:
        with self._lock:
            for entry_id, vector, metadata in zip(ids, vectors, metadatas, strict=True):
                if entry_id in self._where:
                    continue
                signature = metadata["signature"]
                group = self._groups.get(signature)
                if group is None:
                    group = self._groups[signature] = _Group(np.empty((0, self.dimension), np.float32))
                self._where[entry_id] = (signature, len(group.ids))
                group.append(entry_id, vector, metadata)

    def remove(self, ids: Iterable[str]) -> None:
        with self._lock:
            for entry_id in ids:
                if (place := self._where.pop(entry_id, None)) is None:
                    continue
                signature, position = place
                group = self._groups[signature]
                if (moved := group.remove(position)) is not None:
                    self._where[moved] = (signature, position)
                if not group.ids:
                    del self._groups[signature]

    def ids_where(self, tenant: str | None = None, expired_before: float | None = None) -> list[str]:
        """Ids of the entries of ``tenant`` (None: all) that expire before ``expired_before`` (None: any)."""
        with self._lock:
            return [
                entry_id
                for group in self._groups.values()
                for entry_id, metadata in zip(group.ids, group.metadatas, strict=True)
                if (tenant is None or metadata["tenant"] == tenant)
                and (expired_before is None or metadata["expires_at"] <= expired_before)
            ]

    def oldest(self, count: int) -> list[str]:
        with self._lock:
            entries = [
                (metadata["created_at"], entry_id)
                for group in self._groups.values()
                for entry_id, metadata in zip(group.ids, group.metadatas, strict=True)
            ]
        return [entry_id for _, entry_id in sorted(entries)[:count]]

    def query(
        self, vectors: np.ndarray, k: int, signature: str | None = None, tenant: str | None = None
    ) -> list[list[tuple[float, dict[str, Any]]]]:
        """For each vector, the ``k`` best live (score, metadata) pairs, best first."""
        now = time.time()
        with self._lock:
            if signature is not None:
                groups = [self._groups[signature]] if signature in self._groups else []
            else:
                groups = list(self._groups.values())
            candidates: list[list[tuple[float, dict[str, Any]]]] = [[] for _ in vectors]
            for group in groups:
                size = len(group.ids)
                scores = vectors @ group.vectors[:size].T  # (queries, entries)
                live = np.asarray(group.expires_at) > now
                if tenant is not None:
                    live &= np.asarray([m["tenant"] == tenant for m in group.metadatas])
                scores[:, ~live] = -np.inf
                take = min(k, size)
                best = np.argpartition(-scores, take - 1, axis=1)[:, :take]
                for row, positions in enumerate(best):
                    candidates[row].extend(
                        (float(scores[row, p]), group.metadatas[p]) for p in positions if scores[row, p] > -np.inf
                    )
        return [sorted(found, key=lambda c: c[0], reverse=True)[:k] for found in candidates]
