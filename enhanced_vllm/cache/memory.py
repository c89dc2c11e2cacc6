"""L1: the in-process exact cache, a bounded LRU with per-entry TTL (cachetools.TTLCache)."""

from __future__ import annotations

import time

from cachetools import TTLCache


class MemoryCache:
    """Encoded answers by key digest. Lookups are synchronous (no I/O), the fastest level."""

    name = "memory"

    def __init__(self, maxsize: int, ttl: float, timer=time.monotonic) -> None:
        self._entries: TTLCache[str, bytes] = TTLCache(maxsize=maxsize, ttl=ttl, timer=timer)

    def lookup(self, key: str) -> bytes | None:
        return self._entries.get(key)

    def store(self, key: str, value: bytes) -> None:
        self._entries[key] = value

    def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def health(self) -> dict:
        return {"status": "healthy", "entries": len(self._entries), "maxsize": self._entries.maxsize}
