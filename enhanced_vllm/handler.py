"""The handler (one running system: engine + caches) and the process-wide factory.

``await create_enhanced_system()`` gives a started handler on the bundled model with the in-memory
cache; identical configurations share one handler (one engine per configuration per process).
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from typing import Any

from vllm import SamplingParams

from enhanced_vllm.collector import EnhancedRequestOutputCollector
from enhanced_vllm.config import CacheConfig, CacheControl, HandlerConfig, SimilarityConfig, VLLMConfig
from enhanced_vllm.engine import EnhancedAsyncLLM
from enhanced_vllm.errors import EnhancedVLLMError


class EnhancedVLLMHandler:
    """Owns one :class:`EnhancedAsyncLLM` and reports its health and statistics."""

    def __init__(
        self,
        vllm_config: VLLMConfig | None = None,
        cache_config: CacheConfig | None = None,
        similarity_config: SimilarityConfig | None = None,
        handler_config: HandlerConfig | None = None,
        *,
        llm: EnhancedAsyncLLM | None = None,
    ) -> None:
        """Pass ``llm`` to wrap an engine that is already running (its caches stay as configured)."""
        self.vllm_config = vllm_config or VLLMConfig()
        self.cache_config = llm.cache_config if llm else cache_config or CacheConfig()
        self.similarity_config = llm.similarity_config if llm else similarity_config or SimilarityConfig()
        self.handler_config = llm.handler_config if llm else handler_config or HandlerConfig()
        self.llm = llm

    async def start(self) -> None:
        """Start the engine (blocks for the engine's start-up, ~20 s on CPU). Idempotent."""
        if self.llm is None:
            self.llm = EnhancedAsyncLLM.from_engine_args(
                self.vllm_config.to_engine_args(),
                cache_config=self.cache_config,
                handler_config=self.handler_config,
                similarity_config=self.similarity_config,
            )

    async def stop(self) -> None:
        if self.llm is not None:
            llm, self.llm = self.llm, None
            await llm.cleanup()

    def _running(self) -> EnhancedAsyncLLM:
        if self.llm is None:
            raise EnhancedVLLMError("the handler is not started: `await handler.start()` first")
        return self.llm

    async def add_request_v2(
        self,
        prompt: Any,
        sampling_params: SamplingParams | None = None,
        request_id: str | None = None,
        *,
        tenant: str | None = None,
        cache_control: CacheControl | dict[str, Any] | str | None = None,
    ) -> EnhancedRequestOutputCollector:
        """Submit a request; iterate ``collector.get_outputs()`` for its outputs."""
        request_id = request_id or f"req-{uuid.uuid4().hex}"
        llm = self._running()
        return await llm.submit(prompt, sampling_params, request_id, tenant=tenant, cache_control=cache_control)

    async def health_check(self) -> dict:
        """``status`` is healthy, degraded (an optional part is down; requests still succeed)
        or unhealthy (no working engine)."""
        if self.llm is None:
            return {"status": "unhealthy", "components": {"engine": {"status": "stopped"}}}
        components: dict[str, dict] = {}
        try:
            await asyncio.wait_for(self.llm.check_health(), timeout=5)
            components["engine"] = {"status": "healthy"}
        except Exception as exc:
            components["engine"] = {"status": "unhealthy", "error": repr(exc)}
        components["memory_cache"] = self.llm.memory.health()
        if self.llm.redis is not None:
            components["redis"] = await self.llm.redis.health()
        if self.llm.semantic is not None:
            components["semantic_cache"] = await asyncio.to_thread(self.llm.semantic.health)
        elif self.llm.semantic_error is not None:
            components["semantic_cache"] = {"status": "unhealthy", "error": self.llm.semantic_error}
        if components["engine"]["status"] != "healthy":
            status = "unhealthy"
        elif any(c["status"] != "healthy" for c in components.values()):
            status = "degraded"
        else:
            status = "healthy"
        return {"status": status, "components": components}

    def get_stats(self) -> dict:
        llm = self.llm
        if llm is None:
            return {"active_requests": 0, "llm_running": False}
        return {
            "active_requests": llm.flights.active_requests,
            "llm_running": llm.is_running and not llm.errored,
            "memory_entries": len(llm.memory),
            **llm.stats.snapshot(),
            **({f"redis_{name}": n for name, n in llm.redis.counts.items()} if llm.redis is not None else {}),
            **({"semantic_rejections": llm.semantic.telemetry.recent_rejections()} if llm.semantic is not None else {}),
        }


def _config_key(*configs: Any) -> str:
    return "|".join(c.model_dump_json() for c in configs)


class EnhancedSystemFactory:
    """Keeps one handler per distinct configuration and event loop in this process (an engine serves
    the loop it started on: a second ``asyncio.run`` gets its own)."""

    def __init__(self) -> None:
        self._instances: dict[tuple[asyncio.AbstractEventLoop, str], EnhancedVLLMHandler] = {}
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    async def get_or_create(self, *configs: Any) -> EnhancedVLLMHandler:
        loop = asyncio.get_running_loop()
        key = (loop, _config_key(*configs))
        async with self._locks.setdefault(loop, asyncio.Lock()):
            handler = self._instances.get(key)
            if handler is None or handler.llm is None:
                handler = EnhancedVLLMHandler(*configs)
                await handler.start()
                self._instances[key] = handler
            return handler

    def get_instance_stats(self) -> dict[str, dict]:
        return {f"instance_{i}": h.get_stats() for i, h in enumerate(self._instances.values())}

    async def cleanup_all(self) -> None:
        """Stop the handlers of the running loop; those of a closed loop are forgotten (their
        engines were shut down at that loop's end or are at interpreter exit)."""
        loop = asyncio.get_running_loop()
        mine = [key for key in self._instances if key[0] is loop]
        for key in [key for key in self._instances if key[0].is_closed()]:
            del self._instances[key]
        for key in mine:
            await self._instances.pop(key).stop()


_GLOBAL_FACTORY = EnhancedSystemFactory()


def get_global_factory() -> EnhancedSystemFactory:
    return _GLOBAL_FACTORY


async def create_enhanced_system(
    vllm_config: VLLMConfig | None = None,
    cache_config: CacheConfig | None = None,
    similarity_config: SimilarityConfig | None = None,
    handler_config: HandlerConfig | None = None,
) -> EnhancedVLLMHandler:
    """A started handler; the same configuration returns the same handler."""
    return await _GLOBAL_FACTORY.get_or_create(
        vllm_config or VLLMConfig(),
        cache_config or CacheConfig(),
        similarity_config or SimilarityConfig(),
        handler_config or HandlerConfig(),
    )
