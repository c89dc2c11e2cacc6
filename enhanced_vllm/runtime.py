"""Calling the engine from any thread or event loop: what the framework adapters build on.

vLLM's ``AsyncLLM`` belongs to the event loop its output handler runs on. Sync callers (LangChain's
``invoke``, LlamaIndex's ``complete``, a Jupyter cell whose own loop is busy running the cell) and
async callers on other loops reach it through :class:`EngineRuntime`, which hands each request to
the engine's loop and streams the outputs back. The engine made for adapters with no engine of their
own lives on one background loop thread per process, shared by every adapter object and framework.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import logging
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any, TypeVar

from vllm import SamplingParams

from enhanced_vllm.config import CacheConfig, HandlerConfig, SimilarityConfig, VLLMConfig
from enhanced_vllm.engine import EnhancedAsyncLLM
from enhanced_vllm.errors import EnhancedVLLMError, GenerationFailed
from enhanced_vllm.handler import EnhancedVLLMHandler
from enhanced_vllm.outputs import EnhancedRequestOutput

T = TypeVar("T")
logger = logging.getLogger(__name__)
_DONE = object()


class _BackgroundLoop:
    """One daemon thread running an event loop, started on first use."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="enhanced-vllm-engine", daemon=True).start()
                self._loop = loop
            return self._loop


_BACKGROUND = _BackgroundLoop()


class LoopCaller:
    """Runs coroutines on one event loop, for callers on any thread or loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def _on_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self.loop
        except RuntimeError:
            return False

    def run(self, coroutine: Awaitable[T]) -> T:
        """Run ``coroutine`` on the loop and wait for it (from a thread not running that loop)."""
        if self._on_loop():
            coroutine.close()
            raise EnhancedVLLMError(
                "a blocking call on the thread that runs the engine's event loop would deadlock: "
                "use the async method (ainvoke/astream/acomplete) there"
            )
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    async def arun(self, coroutine: Awaitable[T]) -> T:
        """Await ``coroutine`` on the loop from any loop."""
        if self._on_loop():
            return await coroutine
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))


def background() -> LoopCaller:
    """The process's background loop (where shared engines and the LangChain caches' Redis live)."""
    return LoopCaller(_BACKGROUND.loop)


class EngineRuntime(LoopCaller):
    """An :class:`EnhancedAsyncLLM` and the loop it runs on, callable from anywhere."""

    def __init__(self, llm: EnhancedAsyncLLM, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self.llm = llm

    @classmethod
    def for_engine(cls, llm: EnhancedAsyncLLM) -> EngineRuntime:
        """Wrap an engine the caller built. Its loop is the one its output handler runs on; an engine
        that has not served yet is bound to the caller's running loop, or else to the background one."""
        handler = getattr(llm, "output_handler", None)
        if handler is not None:
            return cls(llm, handler.get_loop())
        try:
            return cls(llm, asyncio.get_running_loop())
        except RuntimeError:
            return cls(llm, _BACKGROUND.loop)

    # --- generation ------------------------------------------------------------------------

    async def _final(self, prompt: Any, params: SamplingParams, request: dict[str, Any]):
        output = None
        async for output in self.llm.generate_enhanced(prompt, params, **request):  # noqa: B007
            pass
        if output is None or output.error is not None:
            raise GenerationFailed(output.error if output is not None else "the engine returned no output")
        return output

    def complete(self, prompt: Any, params: SamplingParams, **request: Any) -> EnhancedRequestOutput:
        """The finished output (blocking; raises GenerationFailed). A memory hit is answered on the
        caller's thread, without a hop to the engine's loop. ``request``: ``add_request``'s own
        keywords (``tenant``, ``question``, ``cache_control``)."""
        if (hit := self.llm.cached_output(prompt, params, **request)) is not None:
            return hit
        return self.run(self._final(prompt, params, request))

    async def acomplete(self, prompt: Any, params: SamplingParams, **request: Any) -> EnhancedRequestOutput:
        """The finished output (raises GenerationFailed)."""
        return await self.arun(self._final(prompt, params, request))

    async def astream(
        self, prompt: Any, params: SamplingParams, **request: Any
    ) -> AsyncIterator[EnhancedRequestOutput]:
        """The request's outputs (with metadata) as the engine produces them; leaving early aborts it."""
        if self._on_loop():
            async for output in self.llm.generate_enhanced(prompt, params, **request):
                if output.error is not None:
                    raise GenerationFailed(output.error)
                yield output
            return
        caller = asyncio.get_running_loop()
        outputs: asyncio.Queue = asyncio.Queue()

        def deliver(item: Any) -> None:
            caller.call_soon_threadsafe(outputs.put_nowait, item)

        producer = asyncio.run_coroutine_threadsafe(self._produce(prompt, params, request, deliver), self.loop)
        try:
            while (item := await outputs.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            producer.cancel()

    def stream(self, prompt: Any, params: SamplingParams, **request: Any) -> Iterator[EnhancedRequestOutput]:
        """Blocking twin of :meth:`astream`, for sync callers on any other thread."""
        if self._on_loop():
            raise EnhancedVLLMError(
                "a blocking stream on the thread that runs the engine's event loop would deadlock: use astream"
            )
        outputs: queue.SimpleQueue = queue.SimpleQueue()
        producer = asyncio.run_coroutine_threadsafe(self._produce(prompt, params, request, outputs.put), self.loop)
        try:
            while (item := outputs.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            producer.cancel()

    async def _produce(self, prompt: Any, params: SamplingParams, request: dict[str, Any], deliver):
        try:
            async for output in self.llm.generate_enhanced(prompt, params, **request):
                if output.error is not None:
                    deliver(GenerationFailed(output.error))
                    return
                deliver(output)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            deliver(exc)
            return
        deliver(_DONE)


_SHARED: dict[str, tuple[EngineRuntime, EnhancedVLLMHandler]] = {}
_SHARED_LOCK = threading.Lock()


def shared_runtime(
    vllm_config: VLLMConfig | None = None,
    cache_config: CacheConfig | None = None,
    similarity_config: SimilarityConfig | None = None,
    handler_config: HandlerConfig | None = None,
) -> EngineRuntime:
    """The process-wide engine for this configuration, started on the background loop on first call
    (blocks for the engine start-up). LangChain and LlamaIndex objects with equal configs share it."""
    configs = (
        vllm_config or VLLMConfig(),
        cache_config or CacheConfig(),
        similarity_config or SimilarityConfig(),
        handler_config or HandlerConfig(),
    )
    key = "|".join(c.model_dump_json() for c in configs)
    with _SHARED_LOCK:
        shared = _SHARED.get(key)
        if shared is None or shared[1].llm is None or shared[1].llm.errored:
            loop = _BACKGROUND.loop
            try:
                handler = asyncio.run_coroutine_threadsafe(_started(EnhancedVLLMHandler(*configs)), loop).result()
            except concurrent.futures.CancelledError as exc:
                raise EnhancedVLLMError("the engine start-up was cancelled") from exc
            shared = _SHARED[key] = (EngineRuntime(handler.llm, loop), handler)
            atexit.register(stop_shared_runtimes)  # registered after the engine's own hook: runs first
        return shared[0]


async def _started(handler: EnhancedVLLMHandler) -> EnhancedVLLMHandler:
    """Started here, on the background loop, and kept out of ``create_enhanced_system``'s factory: its
    engine serves this loop only, and the factory hands handlers to callers on their own loops."""
    await handler.start()
    return handler


def stop_shared_runtimes() -> None:
    """Shut every shared engine down, on its own loop (also run at interpreter exit, before the
    engines' own exit hooks, while the loop's thread is still alive)."""
    with _SHARED_LOCK:
        runtimes = list(_SHARED.values())
        _SHARED.clear()
    for runtime, handler in runtimes:
        if not runtime.loop.is_running():
            continue
        try:
            runtime.run(handler.stop())
        except Exception as exc:  # shutting down anyway
            logger.debug("shared engine shutdown: %r", exc)
