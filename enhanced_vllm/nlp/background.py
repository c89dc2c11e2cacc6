"""NLP analysis beside generation, on worker threads, at no cost to the event loop per request.

A request's collector is queued (no task, no future, no loop wake-up); a worker writes the result
into the collector's metadata, which every later output copies. A result still missing when the
request finishes is computed then (``EnhancedRequestOutputCollector.annotate_now``). A full queue
means overload: the analysis is skipped (``nlp_result`` says so) and the caller counts it.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

SKIPPED = {"skipped": "overload"}


class BackgroundAnalyzer:
    def __init__(self, threads: int, max_pending: int) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(max_pending)
        self._threads = [threading.Thread(target=self._work, name=f"nlp-{i}", daemon=True) for i in range(threads)]
        for thread in self._threads:
            thread.start()

    def submit(self, collector: Any) -> bool:
        """Analyse ``collector``'s question soon; False (and ``nlp_result`` marked skipped) when
        the queue is full."""
        try:
            self._queue.put_nowait(collector)
        except queue.Full:
            collector.annotate = None
            collector.metadata["nlp_result"] = SKIPPED
            return False
        return True

    def close(self) -> None:
        """Stop the workers once they have taken what is queued."""
        for _ in self._threads:
            self._queue.put(None)

    def _work(self) -> None:
        while (collector := self._queue.get()) is not None:
            annotate = collector.annotate
            if annotate is None or collector.metadata["nlp_result"] is not None:
                continue  # finished first: analysed on the loop already
            result = annotate()
            if collector.metadata["nlp_result"] is None:  # a value swap: safe beside the loop's dict copies
                collector.metadata["nlp_result"] = result
