"""L1: the in-process exact cache, a bounded LRU whose entries expire after their own TTL
(cachetools.TLRUCache): the configured one, or the one a request asked for."""

from __future__ import annotations

import threading
import time
from typing import NamedTuple

from cachetools import TLRUCache


class _Entry(NamedTuple):
    blob: bytes
    ttl: float
    tenant: str | None


def _expiry(key: str, entry: _Entry, now: float) -> float:
    return now + entry.ttl


class MemoryCache:
    """Encoded answers by key digest. Lookups are synchronous (no I/O), the fastest level; every
    operation takes a lock, so sync callers on other threads may use it beside the event loop."""

    name = "memory"

    def __init__(self, maxsize: int, ttl: float, timer=time.monotonic) -> None:
        self.ttl = ttl
        self._entries: TLRUCache[str, _Entry] = TLRUCache(maxsize=maxsize, ttu=_expiry, timer=timer)
        self._lock = threading.Lock()  # a read reorders the LRU list

    def lookup(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
        return None if entry is None else entry.blob

    def store(self, key: str, value: bytes, ttl: float | None = None, tenant: str | None = None) -> None:
        """Keep ``value`` for ``ttl`` s (default: the cache's); ``tenant`` lets :meth:`keys_of` find it."""
        with self._lock:
            self._entries[key] = _Entry(value, self.ttl if ttl is None else ttl, tenant)

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._entries.pop(key, None) is not None

    def keys_of(self, tenant: str | None = None) -> list[str]:
        """The live keys stored for ``tenant`` (None: every key)."""
        with self._lock:
            self._entries.expire()
            return [key for key, entry in self._entries.items() if tenant is None or entry.tenant == tenant]

    def items(self) -> list[tuple[str, bytes]]:
        """Every live (key, value)."""
        with self._lock:
            self._entries.expire()
            return [(key, entry.blob) for key, entry in self._entries.items()]

    def keys_holding(self, values: set[bytes]) -> list[str]:
        """The live keys whose value is one of ``values``."""
        with self._lock:
            self._entries.expire()
            return [key for key, entry in self._entries.items() if entry.blob in values]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def health(self) -> dict:
        return {"status": "healthy", "entries": len(self._entries), "maxsize": self._entries.maxsize}
