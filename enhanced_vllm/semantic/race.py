"""The semantic lookup raced against the engine: on an exact miss the engine request starts at once
and the lookup runs beside it. The flight holds the engine's outputs back until the lookup answers,
or until the first output plus ``max_hold_ms``; a hit in time is served to every subscriber and
the engine request is aborted, so a miss never waits for the embedding and the vector query.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from enhanced_vllm.cache import codec
from enhanced_vllm.cache.keys import CacheKey
from enhanced_vllm.cache.singleflight import Flight
from enhanced_vllm.config import DEFAULT_CACHE_CONTROL, CacheControl
from enhanced_vllm.stats import PipelineStats

if TYPE_CHECKING:
    from enhanced_vllm.semantic.cache import SemanticCache  # optional extra [semantic]


class SemanticRace:
    def __init__(
        self,
        semantic: SemanticCache,
        max_hold_ms: float,
        stats: PipelineStats,
        on_hit: Callable[[CacheKey, bytes], None],
        abort_engine: Callable[[str], Awaitable[None]],
        control: CacheControl = DEFAULT_CACHE_CONTROL,
    ) -> None:
        """``on_hit(key, blob)`` stores the served answer in the exact levels; ``abort_engine(id)``
        aborts the engine request the hit made unnecessary; ``control`` is the request's (its
        similarity target and ``max_age``)."""
        self.semantic = semantic
        self.max_hold_ms = max_hold_ms
        self.stats = stats
        self.on_hit = on_hit
        self.abort_engine = abort_engine
        self.control = control

    def hold(self, flight: Flight) -> None:
        """Hold ``flight``'s outputs until :meth:`run` answers or the hold budget runs out."""
        flight.held = True
        flight.on_first_output = lambda: self._release_after_budget(flight)

    def _release_after_budget(self, flight: Flight) -> None:
        """The engine's first output is here: the lookup has ``max_hold_ms`` more to answer."""
        if self.max_hold_ms <= 0:
            flight.release()
        else:
            asyncio.get_running_loop().call_later(self.max_hold_ms / 1000, flight.release)

    async def run(self, flight: Flight, key: CacheKey) -> None:
        lookup_started = time.perf_counter()
        entry = await self.semantic.lookup(key.prompt_text, key.signature, self.control)
        output = None
        if entry is not None and entry.blob is not None:
            try:
                output = codec.decode(entry.blob, "semantic")
            except codec.CorruptEntry:
                output = None
        self.stats.lookup("semantic", output is not None, time.perf_counter() - lookup_started)
        if output is None or not flight.held or flight.done or not flight.subscribers:
            flight.release()  # a miss, or the engine already answered (or the hold budget ran out)
            return
        flight.serve(
            output,
            {
                "cached": True,
                "cache_hit": True,
                "cache_level": "semantic",
                "similarity": round(entry.score, 4),
                "matched_question": entry.question,
            },
        )
        self.on_hit(key, entry.blob)  # the next identical request is an exact hit
        if flight.engine_request_id is not None:
            await self.abort_engine(flight.engine_request_id)
