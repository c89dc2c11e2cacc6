"""Single-flight: identical requests that arrive while one runs share its engine generation.

A :class:`Flight` stands where vLLM's output processor expects the request's collector: it
receives every output of the engine request, keeps the accumulated output (to store it and to
catch up late joiners) and hands each subscriber its own copy, so every caller keeps its own
stream, request id and metadata. When the last subscriber leaves, the engine request is aborted.

Per token it does no more than it must: with one completion in cumulative (or final-only) mode the
newest output already holds the whole generation, so it is kept as is and handed to the one
subscriber uncopied; copies are made only for a second subscriber, a late joiner, or to merge
deltas or the completions of n > 1 (which vLLM streams one index at a time).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from vllm.outputs import STREAM_FINISHED, RequestOutput
from vllm.sampling_params import RequestOutputKind

from enhanced_vllm.collector import EnhancedRequestOutputCollector
from enhanced_vllm.outputs import clone_output, final_output


class Flight:
    def __init__(
        self,
        key: Hashable | None,
        output_kind: RequestOutputKind,
        on_done: Callable[[Flight, RequestOutput | None], None],
        n: int = 1,
    ) -> None:
        self.key = key
        self.engine_request_id: str | None = None  # vLLM's internal id, set once the engine has it
        self.subscribers: list[EnhancedRequestOutputCollector] = []
        self.accumulated: RequestOutput | None = None
        self.done = False
        self.held = False  # while True, outputs are only accumulated (a semantic lookup is racing)
        self.on_first_output: Callable[[], None] | None = None  # called once, while held
        self._delta = output_kind == RequestOutputKind.DELTA
        self._merge = self._delta or n > 1  # else the newest output is the whole generation
        self._on_done = on_done

    def subscribe(self, collector: EnhancedRequestOutputCollector) -> None:
        if self.accumulated is not None and not self.held:
            collector.put(clone_output(self.accumulated))
        self.subscribers.append(collector)

    def unsubscribe(self, request_id: str) -> bool:
        """Detach ``request_id`` (it gets a final ``abort`` output); True when none remain."""
        leaving = [c for c in self.subscribers if c.request_id == request_id]
        self.subscribers = [c for c in self.subscribers if c.request_id != request_id]
        for collector in leaving:
            previous = None if self._delta else self.accumulated
            collector.put(final_output(request_id, previous, collector.n, "abort"))
        return not self.subscribers

    def put(self, output: RequestOutput | Exception) -> None:
        """Called by vLLM's output processor (and on failures) with each engine output."""
        if output is STREAM_FINISHED or self.done:
            return
        if isinstance(output, Exception):
            for collector in self.subscribers:
                collector.put(output)
            self._finish(None)
            return
        if not (self._merge or self.held) and len(self.subscribers) == 1:  # the common case: no copy
            self.accumulated = output
            self.subscribers[0].put(output)
            if output.finished:
                self._finish(output)
            return
        first = self.accumulated is None
        if not self._merge:
            self.accumulated = output  # never mutated: collectors merge into their pending output
        elif first:
            self.accumulated = clone_output(output)
        else:
            self.accumulated.add(clone_output(output), aggregate=self._delta)
        if first and self.held and self.on_first_output is not None:
            self.on_first_output()
        if self.held:
            if output.finished:
                self._finish(self.accumulated)
            return
        *others, last = self.subscribers or [None]
        for collector in others:
            collector.put(clone_output(output))
        if last is not None:
            last.put(output)
        if output.finished:
            self._finish(self.accumulated)

    def release(self) -> None:
        """Stop holding: subscribers get everything generated so far, then the live stream."""
        if not self.held:
            return
        self.held = False
        if self.accumulated is not None:
            for collector in self.subscribers:
                collector.put(clone_output(self.accumulated))

    def serve(self, output: RequestOutput, metadata: dict) -> None:
        """Answer every subscriber with ``output`` (a cached answer) instead of the engine's."""
        self.held = False
        for collector in self.subscribers:
            collector.metadata.update(metadata)
            collector.put(clone_output(output))
        self._finish(None)

    def _finish(self, final: RequestOutput | None) -> None:
        self.done = True
        self._on_done(self, final)


class FlightRegistry:
    """In-flight generations by flight key, and which flight each request id listens to."""

    def __init__(self) -> None:
        self.by_key: dict[Hashable, Flight] = {}
        self.by_request: dict[str, set[Flight]] = {}

    def joinable(self, key: Hashable) -> Flight | None:
        flight = self.by_key.get(key)
        return None if flight is None or flight.done else flight

    def add(self, flight: Flight) -> None:
        if flight.key is not None:
            self.by_key[flight.key] = flight

    def subscribe(self, flight: Flight, collector: EnhancedRequestOutputCollector) -> None:
        flight.subscribe(collector)
        self.by_request.setdefault(collector.request_id, set()).add(flight)

    def detach(self, request_id: str) -> list[Flight]:
        """Unsubscribe ``request_id`` everywhere; returns the flights left with no subscriber."""
        orphaned = []
        for flight in self.by_request.pop(request_id, ()):
            if flight.unsubscribe(request_id):
                self.remove(flight)
                orphaned.append(flight)
        return orphaned

    def remove(self, flight: Flight) -> None:
        if flight.key is not None and self.by_key.get(flight.key) is flight:
            del self.by_key[flight.key]
        for collector in flight.subscribers:
            flights = self.by_request.get(collector.request_id)
            if flights is not None:
                flights.discard(flight)
                if not flights:
                    del self.by_request[collector.request_id]

    @property
    def active_requests(self) -> int:
        return len(self.by_request)
