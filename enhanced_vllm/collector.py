"""``EnhancedRequestOutputCollector``: vLLM's per-request collector, plus metadata on each output."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from vllm.outputs import RequestOutput
from vllm.sampling_params import RequestOutputKind
from vllm.v1.engine.output_processor import RequestOutputCollector

from enhanced_vllm.outputs import EnhancedRequestOutput, final_output


class EnhancedRequestOutputCollector(RequestOutputCollector):
    """Everything put here becomes an :class:`EnhancedRequestOutput` carrying this request's id
    and ``metadata`` (the request's base metadata plus ``processing_time`` since it arrived).

    It is what ``EnhancedAsyncLLM.add_request`` returns for hits and misses alike, so vLLM's own
    ``generate()`` drains it unchanged; :meth:`aiter` is the original design's iterator, which
    turns a failure into one final output with ``error`` set instead of raising.
    """

    def __init__(
        self,
        output_kind: RequestOutputKind,
        request_id: str,
        metadata: dict[str, Any],
        n: int = 1,
        on_finished: Callable[[EnhancedRequestOutput], None] | None = None,
        started: float | None = None,
        annotate: Callable[[], dict] | None = None,
    ) -> None:
        """``started`` is the request's arrival (``time.perf_counter()``), default now;
        ``annotate`` computes ``metadata["nlp_result"]`` (at the latest for the final output)."""
        super().__init__(output_kind, request_id)
        self.metadata = metadata
        self.n = n
        self.started = time.perf_counter() if started is None else started
        self._on_finished = on_finished
        self.annotate = annotate

    def annotate_now(self) -> None:
        if self.annotate is not None and self.metadata["nlp_result"] is None:
            self.metadata["nlp_result"] = self.annotate()

    def put(self, output: RequestOutput | Exception) -> None:
        """Called once per engine output: kept to a class switch and a few attribute writes (the
        metadata is assembled when read, see ``EnhancedRequestOutput``)."""
        if isinstance(output, RequestOutput):
            put_at = time.perf_counter()
            output.__class__ = EnhancedRequestOutput
            output.request_id = self.request_id
            output._collector = self
            output._put_at = put_at
            output._metadata = None
            if output.finished:
                self.annotate_now()
                if self._on_finished is not None:
                    self._on_finished(output)
            pending = self.output
            if pending is not None and pending.__class__ is EnhancedRequestOutput:
                pending._put_at = put_at  # merged into a pending output: keep its time fresh
        super().put(output)

    async def aiter(self) -> AsyncIterator[EnhancedRequestOutput]:
        """Yield outputs until the finished one; a failure ends with one output whose ``error`` is set."""
        while True:
            try:
                output = self.get_nowait() or await self.get()
            except Exception as exc:
                failed = final_output(self.request_id, None, self.n, "error")
                failed = EnhancedRequestOutput.adopt(failed, self.request_id, dict(self.metadata))
                failed.error = f"{type(exc).__name__}: {exc}"
                yield failed
                return
            yield output
            if output.finished:
                return

    def get_outputs(self) -> AsyncIterator[EnhancedRequestOutput]:
        """Alias of :meth:`aiter`, the handler API's name."""
        return self.aiter()
