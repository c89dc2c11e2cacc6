"""Pipeline statistics: plain counters for ``get_stats()`` and the same facts as Prometheus metrics
(registered once per process in prometheus_client's default registry, labelled by ``engine``)."""

from __future__ import annotations

import threading
from collections import Counter, deque

from prometheus_client import Counter as PromCounter
from prometheus_client import Gauge, Histogram

LOOKUPS = PromCounter(
    "enhanced_vllm_cache_lookups_total", "Cache lookups by level and result", ["engine", "level", "result"]
)
LOOKUP_SECONDS = Histogram(
    "enhanced_vllm_cache_lookup_seconds",
    "Time of one cache lookup by level",
    ["engine", "level"],
    buckets=(1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 5e-2, 0.1, 0.5),
)
COALESCED = PromCounter(
    "enhanced_vllm_coalesced_requests_total", "Requests that joined an in-flight generation", ["engine"]
)
INFLIGHT_COALESCED = Gauge(
    "enhanced_vllm_inflight_coalesced_requests", "Requests now attached to another's generation", ["engine"]
)
ENGINE_REQUESTS = PromCounter("enhanced_vllm_engine_requests_total", "Requests sent to the vLLM engine", ["engine"])


# skipped: work dropped under overload (a full store queue, too many analyses waiting), never a request;
# nlp_inline: analyses run on the event loop when a request finished before its worker's result came;
# reads_skipped / stores_skipped: requests whose cache_control said no_cache / no_store (or bypass);
# too_old: entries found but older than the request's max_age (a miss for that request)
EVENTS = (
    "engine_requests",
    "coalesced",
    "bypassed",
    "reads_skipped",
    "stores_skipped",
    "too_old",
    "stored",
    "corrupt",
    "semantic_store_skipped",
    "nlp_skipped",
    "nlp_inline",
)


def _percentile(samples: list[float], q: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class PipelineStats:
    """Counts per level and the latency of finished requests (last ``window`` of them); thread-safe
    (sync memory hits are counted on the caller's thread)."""

    def __init__(self, engine_label: str, window: int = 2048) -> None:
        self.engine_label = engine_label
        self.hits: Counter[str] = Counter()
        self.misses: Counter[str] = Counter()
        self.events: Counter[str] = Counter()  # EVENTS
        self._latencies: deque[float] = deque(maxlen=window)
        self._inflight_coalesced = INFLIGHT_COALESCED.labels(engine_label)
        self._lock = threading.Lock()

    def lookup(self, level: str, hit: bool, seconds: float) -> None:
        with self._lock:
            (self.hits if hit else self.misses)[level] += 1
        LOOKUPS.labels(self.engine_label, level, "hit" if hit else "miss").inc()
        LOOKUP_SECONDS.labels(self.engine_label, level).observe(seconds)

    def count(self, event: str) -> None:
        with self._lock:
            self.events[event] += 1
        if event == "engine_requests":
            ENGINE_REQUESTS.labels(self.engine_label).inc()
        elif event == "coalesced":
            COALESCED.labels(self.engine_label).inc()

    def coalesced_changed(self, delta: int) -> None:
        self._inflight_coalesced.inc(delta)

    def finished(self, seconds: float) -> None:
        self._latencies.append(seconds)

    def snapshot(self) -> dict:
        latencies = list(self._latencies)
        p50, p95 = _percentile(latencies, 0.5), _percentile(latencies, 0.95)
        return {
            "hits": dict(self.hits),
            "misses": dict(self.misses),
            **{event: self.events[event] for event in EVENTS},
            "latency_ms_p50": None if p50 is None else p50 * 1000,
            "latency_ms_p95": None if p95 is None else p95 * 1000,
        }
