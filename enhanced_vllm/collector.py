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
        if isinstance(output, RequestOutput):
            if output.finished:
                self.annotate_now()
            metadata = {**self.metadata, "processing_time": time.perf_counter() - self.started}
            output = EnhancedRequestOutput.adopt(output, self.request_id, metadata)
            if output.finished and self._on_finished is not None:
                self._on_finished(output)
        super().put(output)
        if isinstance(output, RequestOutput) and isinstance(self.output, RequestOutput) and self.output is not output:
            self.output.metadata = output.metadata  # merged into a pending output: keep it fresh

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
