"""The semantic stage's two worker threads: one answers lookups in batches, one writes stores.

Every lookup waiting when the lookup thread comes round is answered by one batch call (one
embedding call for all of them), so under load the stage does less work per request instead of
falling behind. Stores wait in a bounded queue, coalesced by key, and are written in batches on
their own thread, so a lookup never waits behind a Chroma write; when the queue is full a store is
skipped (the caller counts it), never queued without bound and never slowing a request.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

Lookup = TypeVar("Lookup")
Found = TypeVar("Found")

MAX_LOOKUP_BATCH = 128
STORE_BATCH = 64


class BatchWorker(Generic[Lookup, Found]):
    def __init__(
        self,
        lookup_batch: Callable[[list[Lookup]], list[Found]],
        store_batch: Callable[[list[Any]], None],
        max_pending_stores: int,
        name: str = "semantic",
    ) -> None:
        """``lookup_batch(items)`` answers items in order; ``store_batch(items)`` writes them."""
        self._lookup_batch = lookup_batch
        self._store_batch = store_batch
        self._max_pending_stores = max_pending_stores
        self._lookups: list[tuple[Lookup, asyncio.Future, asyncio.AbstractEventLoop]] = []
        self._stores: OrderedDict[Hashable, Any] = OrderedDict()
        self._busy = {"lookups": False, "stores": False}
        self._closed = False
        self._wake = threading.Condition()
        for queue, run in (("lookups", self._answer), ("stores", self._store_batch)):
            threading.Thread(target=self._serve, args=(queue, run), name=f"{name}-{queue}", daemon=True).start()

    def _take(self, queue: str) -> list:
        """Up to a batch from ``queue`` ("lookups" or "stores"); called holding the lock."""
        if queue == "lookups":
            batch = self._lookups[:MAX_LOOKUP_BATCH]
            del self._lookups[:MAX_LOOKUP_BATCH]
            return batch
        return [self._stores.popitem(last=False)[1] for _ in range(min(STORE_BATCH, len(self._stores)))]

    async def lookup(self, item: Lookup) -> Found:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._wake:
            self._lookups.append((item, future, loop))
            self._wake.notify_all()
        return await future

    def store(self, key: Hashable, item: Any) -> bool:
        """Queue ``item`` for writing (replacing a pending one with the same key); False when
        the queue is full and the store is skipped."""
        with self._wake:
            if self._closed or (key not in self._stores and len(self._stores) >= self._max_pending_stores):
                return False
            self._stores[key] = item
            self._wake.notify_all()
        return True

    @property
    def pending_stores(self) -> int:
        return len(self._stores)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or running; False if ``timeout`` s passed first."""
        with self._wake:
            idle = lambda: not (self._busy["lookups"] or self._busy["stores"] or self._lookups or self._stores)  # noqa: E731
            return self._wake.wait_for(idle, timeout)

    def close(self, timeout: float) -> bool:
        """Write what is queued (at most ``timeout`` s), then stop; True if everything was written."""
        drained = self.wait_idle(timeout)
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        return drained

    def _serve(self, queue: str, run: Callable[[list], None]) -> None:
        """The loop of one thread: take a batch from ``queue`` ("lookups" or "stores"), run it."""
        pending = self._lookups if queue == "lookups" else self._stores
        while True:
            with self._wake:
                self._wake.wait_for(lambda: pending or self._closed)
                if not pending:  # closed, nothing left
                    return
                batch = self._take(queue)
                self._busy[queue] = True
            try:
                run(batch)
            finally:
                with self._wake:
                    self._busy[queue] = False
                    self._wake.notify_all()

    def _answer(self, lookups: list[tuple[Lookup, asyncio.Future, asyncio.AbstractEventLoop]]) -> None:
        try:
            results: list[Any] = list(self._lookup_batch([item for item, _, _ in lookups]))
            failure = None
        except Exception as exc:  # the batch function should not raise; if it does, every waiter hears it
            results, failure = [None] * len(lookups), exc
        for (_, future, loop), result in zip(lookups, results, strict=True):
            try:
                loop.call_soon_threadsafe(_settle, future, result, failure)
            except RuntimeError:  # that loop is closed: nobody waits any more
                pass


def _settle(future: asyncio.Future, result: Any, failure: Exception | None) -> None:
    if future.done():  # the waiting request was cancelled
        return
    if failure is not None:
        future.set_exception(failure)
    else:
        future.set_result(result)
