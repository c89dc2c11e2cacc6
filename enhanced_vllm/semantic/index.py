"""An in-process mirror of the semantic store's vectors: exact cosine search by one matrix product.

Chroma stays the persistent and shared store; a lookup reads this mirror instead (Chroma's query
took 5-10 ms per call from Python, the mirror ~0.1 ms for 10,000 entries). Entries are grouped by
sampling signature, the filter every cache lookup has, so a lookup scores only its own group.
Scores are computed by torch on the embedder's device: on a GPU the vectors are mirrored there
(rows copied when they change), so a lookup takes no CPU threads from the engine (with numpy's
product, threads without a Python name, most likely its BLAS pool, used 12-26 CPU-seconds during
the GPU sweep's product rounds). Thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch


@dataclass
class _Group:
    """The entries of one signature: their vectors and expiry times (with spare capacity), their
    metadata, and the vectors' copy on the scoring device (rows in ``stale`` not copied yet)."""

    vectors: np.ndarray
    expires_at: np.ndarray
    ids: list[str] = field(default_factory=list)
    metadatas: list[dict[str, Any]] = field(default_factory=list)
    device_vectors: torch.Tensor | None = None
    stale: set[int] = field(default_factory=set)

    def append(self, entry_id: str, vector: np.ndarray, metadata: dict[str, Any]) -> None:
        size = len(self.ids)
        if size == len(self.vectors):
            capacity = max(16, 2 * size)
            self.vectors = np.resize(self.vectors, (capacity, self.vectors.shape[1]))
            self.expires_at = np.resize(self.expires_at, capacity)
            self.device_vectors = None  # copied whole on the next query
        self.vectors[size] = vector
        self.expires_at[size] = metadata["expires_at"]
        self.ids.append(entry_id)
        self.metadatas.append(metadata)
        self.stale.add(size)

    def remove(self, position: int) -> str | None:
        """Remove the entry at ``position`` by moving the last one into it; returns the moved id."""
        last = len(self.ids) - 1
        moved = None
        if position != last:
            self.vectors[position] = self.vectors[last]
            self.expires_at[position] = self.expires_at[last]
            self.ids[position] = self.ids[last]
            self.metadatas[position] = self.metadatas[last]
            self.stale.add(position)
            moved = self.ids[position]
        self.ids.pop()
        self.metadatas.pop()
        return moved

    def on(self, device: torch.device) -> torch.Tensor:
        """The live rows' vectors on ``device`` (on the CPU, the array's own memory)."""
        size = len(self.ids)
        if self.device_vectors is None:
            self.device_vectors = torch.from_numpy(self.vectors).to(device)
        elif self.stale:
            rows = torch.tensor(sorted(self.stale))
            self.device_vectors[rows.to(device)] = torch.from_numpy(self.vectors[rows.numpy()]).to(device)
        self.stale.clear()
        return self.device_vectors[:size]


class VectorIndex:
    """Normalised vectors with their store metadata (``signature``, ``tenant``, ``expires_at``, ...;
    ``id`` is added: the entry's id)."""

    def __init__(self, dimension: int, device: str = "cpu") -> None:
        self.dimension = dimension
        self.device = torch.device(device)
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
                metadata["id"] = entry_id
                signature = metadata["signature"]
                group = self._groups.get(signature)
                if group is None:
                    group = self._groups[signature] = _Group(
                        np.empty((0, self.dimension), np.float32), np.empty(0, np.float64)
                    )
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

    def ids_where(
        self,
        tenant: str | None = None,
        expired_before: float | None = None,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[str]:
        """Ids of the entries of ``tenant`` (None: all) that expire before ``expired_before`` (None:
        any) and whose metadata ``where`` accepts (None: any)."""
        with self._lock:
            return [
                entry_id
                for group in self._groups.values()
                for entry_id, metadata in zip(group.ids, group.metadatas, strict=True)
                if (tenant is None or metadata["tenant"] == tenant)
                and (expired_before is None or metadata["expires_at"] <= expired_before)
                and (where is None or where(metadata))
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
        queries = torch.from_numpy(np.ascontiguousarray(vectors, np.float32)).to(self.device)
        with self._lock:
            if signature is not None:
                groups = [self._groups[signature]] if signature in self._groups else []
            else:
                groups = list(self._groups.values())
            candidates: list[list[tuple[float, dict[str, Any]]]] = [[] for _ in vectors]
            for group in groups:
                size = len(group.ids)
                live = group.expires_at[:size] > now
                if tenant is not None:
                    live &= np.asarray([m["tenant"] == tenant for m in group.metadatas])
                scores = queries @ group.on(self.device).T  # (queries, entries)
                scores.masked_fill_(~torch.from_numpy(live).to(self.device), -torch.inf)
                best_scores, best = (t.cpu().numpy() for t in torch.topk(scores, min(k, size), dim=1))
                for row, positions in enumerate(best):
                    candidates[row].extend(
                        (float(score), group.metadatas[p])
                        for score, p in zip(best_scores[row], positions, strict=True)
                        if score > -np.inf
                    )
        return [sorted(found, key=lambda c: c[0], reverse=True)[:k] for found in candidates]
