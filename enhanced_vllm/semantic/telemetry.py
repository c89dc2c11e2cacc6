"""What each semantic lookup decided, and why: the nearest stored question's similarity (hits and
misses alike), the outcome and the reason for a rejection, as Prometheus metrics, as an OpenTelemetry
span (``semantic.lookup``; a no-op unless an OTel SDK is configured) and, for rejections, in a short
list that ``get_stats()`` shows.

Reasons: ``no entry`` (nothing stored for this signature), ``score`` (below the threshold), ``short
question`` (below the short-question threshold), ``too old`` (past the request's ``max_age``), ``no
question found`` (the stage did not run, counted by the engine), and the guard's own (``numbers
differ``, ``negation differs``, ``named entities differ``, ``direction differs``, ``antonyms``, ...).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from opentelemetry import trace
from prometheus_client import Counter, Histogram

NEAREST_SIMILARITY = Histogram(
    "enhanced_vllm_semantic_nearest_similarity",
    "Similarity of the nearest stored question per semantic lookup, by outcome",
    ["collection", "outcome"],
    buckets=(0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99, 1.0),
)
DECISIONS = Counter(
    "enhanced_vllm_semantic_decisions_total",
    "Semantic lookups by outcome and the reason for a rejection",
    ["collection", "outcome", "reason"],
)
RECENT_REJECTIONS = 50
_tracer = trace.get_tracer("enhanced_vllm.semantic")


class LookupTelemetry:
    """Records decisions of one semantic stage (labelled by its Chroma collection); thread-safe."""

    def __init__(self, collection: str, keep: int = RECENT_REJECTIONS) -> None:
        self.collection = collection
        self._rejections: deque[dict[str, Any]] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def record(
        self,
        question: str,
        nearest: float | None,
        outcome: str,
        reason: str | None = None,
        candidate: str | None = None,
    ) -> None:
        """One lookup's decision: ``outcome`` "hit" or "miss"; for a miss, ``reason`` and the nearest
        ``candidate`` question that was turned down (None: nothing close enough to judge)."""
        if nearest is not None:
            NEAREST_SIMILARITY.labels(self.collection, outcome).observe(nearest)
        DECISIONS.labels(self.collection, outcome, reason or "").inc()
        with _tracer.start_as_current_span("semantic.lookup") as span:
            if span.is_recording():
                span.set_attributes(
                    {
                        "enhanced_vllm.outcome": outcome,
                        "enhanced_vllm.reason": reason or "",
                        "enhanced_vllm.nearest_similarity": -1.0 if nearest is None else nearest,
                        "enhanced_vllm.collection": self.collection,
                    }
                )
        if outcome == "miss" and candidate is not None:
            rejection = {
                "at": time.time(),
                "question": question,
                "candidate": candidate,
                "similarity": None if nearest is None else round(nearest, 4),
                "reason": reason,
            }
            with self._lock:
                self._rejections.append(rejection)

    def recent_rejections(self) -> list[dict[str, Any]]:
        """The last rejections, newest last."""
        with self._lock:
            return list(self._rejections)
