"""Low-priority worker threads for pipeline work that runs beside generation (embedding, vector
search): the OS runs them on CPU time the engine's scheduler and the event loop leave free, so a
lookup racing a miss takes little from that miss's time to first token."""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def _lower_priority(nice: int) -> None:
    """Raise this thread's nice value (Linux keeps one per thread; elsewhere a no-op)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError):
        pass


class BackgroundWorkers:
    def __init__(self, threads: int, nice: int, name: str) -> None:
        self._pool = ThreadPoolExecutor(threads, name, initializer=_lower_priority, initargs=(nice,))

    async def run(self, function: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, functools.partial(function, *args))
