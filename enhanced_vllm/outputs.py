"""``EnhancedRequestOutput``: vLLM's ``RequestOutput`` plus ``metadata``, ``text`` and ``error``."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from vllm.outputs import CompletionOutput, RequestOutput


class EnhancedRequestOutput(RequestOutput):
    """A ``RequestOutput`` that also carries the pipeline's ``metadata`` (cached, cache_level,
    processing_time, ...) and ``error`` (None, or why the request failed).

    On the per-token path the metadata is not built (nor anything else allocated, which would add
    garbage-collector passes): an output keeps a reference to its request's collector and the time
    it was put, and ``metadata`` is assembled the first time it is read.
    """

    error: str | None = None
    _metadata: dict[str, Any] | None = None
    _collector: Any  # the request's collector: its ``metadata`` and ``started`` (arrival)
    _put_at: float  # when the collector received this output (time.perf_counter())

    @classmethod
    def adopt(cls, output: RequestOutput, request_id: str, metadata: dict[str, Any]) -> EnhancedRequestOutput:
        """Turn ``output`` into an EnhancedRequestOutput carrying ``metadata``, in place."""
        output.__class__ = cls
        output.request_id = request_id
        output._metadata = metadata
        return output  # type: ignore[return-value]

    @property
    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            collector = self._collector
            self._metadata = {**collector.metadata, "processing_time": self._put_at - collector.started}
        return self._metadata

    @metadata.setter
    def metadata(self, value: dict[str, Any]) -> None:
        self._metadata = value

    @property
    def text(self) -> str:
        """The first completion's text so far."""
        return self.outputs[0].text if self.outputs else ""

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, metadata={self.metadata}, error={self.error!r})"


def clone_output(output: RequestOutput) -> RequestOutput:
    """A copy that shares nothing mutable with ``output``: ``RequestOutput.add`` (used by vLLM's
    collector to merge outputs a slow consumer has not read yet) mutates completions in place."""
    cloned = copy.copy(output)
    cloned.outputs = [
        dataclasses.replace(
            c,
            token_ids=list(c.token_ids),
            logprobs=copy.copy(c.logprobs),
        )
        for c in output.outputs
    ]
    if hasattr(output, "metadata"):
        cloned.metadata = dict(output.metadata)
    return cloned


def final_output(request_id: str, previous: RequestOutput | None, n: int, finish_reason: str) -> RequestOutput:
    """The last output of a request that ends without the engine (abort, failure)."""
    if previous is not None:
        output = clone_output(previous)
        for completion in output.outputs:
            completion.finish_reason = completion.finish_reason or finish_reason
    else:
        completions = [
            CompletionOutput(
                index=i, text="", token_ids=[], cumulative_logprob=None, logprobs=None, finish_reason=finish_reason
            )
            for i in range(n)
        ]
        output = RequestOutput(request_id, None, None, None, completions, finished=True)
    output.request_id = request_id
    output.finished = True
    return output


def is_successful(output: RequestOutput) -> bool:
    """Finished, and every completion ended by a stop condition or the length limit."""
    return (
        output.finished and bool(output.outputs) and all(c.finish_reason in ("stop", "length") for c in output.outputs)
    )
