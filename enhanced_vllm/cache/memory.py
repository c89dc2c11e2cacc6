"""L1: the in-process exact cache, a bounded LRU with per-entry TTL (cachetools.TTLCache)."""

from __future__ import annotations

import threading
import time

from cachetools import TTLCache


class MemoryCache:
    """Encoded answers by key digest. Lookups are synchronous (no I/O), the fastest level; every
    operation takes a lock, so sync callers on other threads may use it beside the event loop."""

    name = "memory"

    def __init__(self, maxsize: int, ttl: float, timer=time.monotonic) -> None:
        self._entries: TTLCache[str, bytes] = TTLCache(maxsize=maxsize, ttl=ttl, timer=timer)
        self._lock = threading.Lock()  # a TTLCache read reorders its LRU list

    def lookup(self, key: str) -> bytes | None:
        with self._lock:
            return self._entries.get(key)

    def store(self, key: str, value: bytes) -> None:
        with self._lock:
            self._entries[key] = value

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def health(self) -> dict:
        return {"status": "healthy", "entries": len(self._entries), "maxsize": self._entries.maxsize}
