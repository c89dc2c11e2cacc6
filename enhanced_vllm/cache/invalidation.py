"""Invalidation: delete the answers of a tenant, of one exact request, or of a question's semantic
neighbourhood, from every level; with ``dry_run`` list what would go and delete nothing.

Deletes reach this process's memory and mirror, Redis and Chroma. Another process's memory level and
mirror keep their copies until they expire; to retire entries everywhere at once, bump the namespace
epoch (``cache.epoch``). A semantic entry's answer is also found in the exact levels (its own request's
entry and the copies semantic hits made) by its value, so a neighbourhood leaves no exact copy behind.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from enhanced_vllm.cache.keys import CacheKey
from enhanced_vllm.cache.memory import MemoryCache

if TYPE_CHECKING:
    from enhanced_vllm.cache.redis import RedisCache
    from enhanced_vllm.semantic.cache import SemanticCache

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class Invalidation:
    """What an invalidation deleted (``dry_run``: would delete). ``exact``: (level, tenant, digest);
    ``semantic``: the entries' question, tenant and (for a neighbourhood) similarity; ``errors``:
    levels that failed, whose entries may remain."""

    dry_run: bool
    exact: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    semantic: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"exact_count": len(self.exact), "semantic_count": len(self.semantic)}


def _listed(entry: dict[str, Any], score: float | None = None) -> dict[str, Any]:
    listed = {"id": entry["id"], "question": entry["question"], "tenant": entry["tenant"]}
    return listed if score is None else {**listed, "similarity": round(score, 4)}


class Invalidator:
    def __init__(self, memory: MemoryCache, redis: RedisCache | None, semantic: SemanticCache | None) -> None:
        self.memory = memory
        self.redis = redis
        self.semantic = semantic

    async def tenant(self, tenant: str, dry_run: bool = False) -> Invalidation:
        found = Invalidation(dry_run)
        found.exact = [("memory", tenant, key) for key in self.memory.keys_of(tenant)]
        if self.redis is not None:
            found.exact += [("redis", tenant, key) for key in await _try(found, "redis", self.redis.keys_of(tenant))]
        if self.semantic is not None:
            entries = await _try(found, "semantic", asyncio.to_thread(self.semantic.store.find, {"tenant": tenant}))
            found.semantic = [_listed(entry) for entry in entries]
        return await self._apply(found)

    async def request(self, key: CacheKey, dry_run: bool = False) -> Invalidation:
        """The answer of one exact request (its key), and its semantic entry (same question and signature)."""
        found = Invalidation(dry_run)
        if self.memory.lookup(key.digest) is not None:
            found.exact.append(("memory", key.tenant, key.digest))
        if self.redis is not None and await _try(found, "redis", self.redis.exists(key.tenant, key.digest), False):
            found.exact.append(("redis", key.tenant, key.digest))
        if self.semantic is not None and key.prompt_text:
            where = {"$and": [{"signature": key.signature}, {"question": key.prompt_text}]}
            entries = await _try(found, "semantic", asyncio.to_thread(self.semantic.store.find, where))
            found.semantic = [_listed(entry) for entry in entries]
        return await self._apply(found)

    async def neighbourhood(
        self, question: str, threshold: float, tenant: str | None = None, dry_run: bool = False
    ) -> Invalidation:
        """Every semantic entry at least ``threshold`` similar to ``question``, and its exact copies."""
        found = Invalidation(dry_run)
        if self.semantic is None:
            return found
        call = asyncio.to_thread(self.semantic.neighbourhood, question, threshold, tenant)
        entries = await _try(found, "semantic", call)
        found.semantic = [_listed(entry.metadata, entry.score) for entry in entries]
        values = {entry.blob for entry in entries if entry.blob is not None}
        if not values:
            return await self._apply(found)
        found.exact = [("memory", "", key) for key in self.memory.keys_holding(values)]
        if self.redis is not None:
            for owner in sorted({entry.metadata["tenant"] for entry in entries}):
                keys = await _try(found, "redis", self.redis.keys_holding(owner, values))
                found.exact += [("redis", owner, key) for key in keys]
        return await self._apply(found)

    async def _apply(self, found: Invalidation) -> Invalidation:
        if found.dry_run:
            return found
        in_redis: dict[str, list[str]] = {}
        for level, tenant, key in found.exact:
            if level == "memory":
                self.memory.delete(key)
            else:
                in_redis.setdefault(tenant, []).append(key)
        for tenant, keys in in_redis.items():
            await _try(found, "redis", self.redis.delete_many(tenant, keys))
        if found.semantic:
            ids = [entry["id"] for entry in found.semantic]
            await _try(found, "semantic", asyncio.to_thread(self.semantic.store.delete, ids))
        if found.errors:
            logger.warning("invalidation incomplete: %s", "; ".join(found.errors))
        return found


async def _try(found: Invalidation, level: str, work: Awaitable[Any], failed: Any = ()) -> Any:
    """``work``'s result, or ``failed`` with the error noted in ``found`` (a level that is down)."""
    try:
        return await work
    except Exception as exc:
        found.errors.append(f"{level}: {exc!r}")
        return failed
