"""Where a benchmark's time went besides the engine: how late the event loop ran (a 1 ms timer's
lag: time the loop could not run, e.g. waiting for the GIL) and each thread's CPU time (Linux)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator

LAG_PERIOD_S = 0.001


class LoopWatch:
    """Samples the loop's lag and the threads' CPU time while ``async with watch.measure():``
    blocks run (any number of them, added up); then ``watch.summary()``."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.thread_cpu_s: Counter = Counter()

    @contextlib.asynccontextmanager
    async def measure(self) -> AsyncIterator[None]:
        before = thread_cpu_seconds()
        sampler = asyncio.create_task(self._sample())
        try:
            yield
        finally:
            sampler.cancel()
            self.thread_cpu_s.update(thread_cpu_seconds())
            self.thread_cpu_s.subtract(before)

    async def _sample(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(LAG_PERIOD_S)
            self.lags.append(time.perf_counter() - started - LAG_PERIOD_S)

    def summary(self, threads: int = 4) -> dict:
        """Lag p50 / p99 / max in ms and the ``threads`` busiest threads' CPU seconds."""
        lags = sorted(self.lags) or [0.0]
        at = lambda q: round(1000 * lags[min(len(lags) - 1, int(q * len(lags)))], 3)  # noqa: E731
        busiest = {name: round(s, 3) for name, s in self.thread_cpu_s.most_common(threads) if s > 0}
        return {"lag_ms": {"p50": at(0.5), "p99": at(0.99), "max": at(1.0)}, "thread_cpu_s": busiest}


def thread_cpu_seconds() -> Counter:
    """CPU seconds (user + system) of each thread of this process, by Python thread name where
    there is one, else the OS name; empty where ``/proc`` is not there."""
    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    ticks = os.sysconf("SC_CLK_TCK")
    seconds: Counter = Counter()
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return seconds
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/stat") as stat:
                raw = stat.read()
        except OSError:  # the thread ended
            continue
        comm, fields = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
        seconds[names.get(int(tid), comm)] += (int(fields[11]) + int(fields[12])) / ticks
    return seconds
