"""``EnhancedAsyncLLM``: vLLM's ``AsyncLLM`` with a caching request pipeline in ``add_request``.

Overriding ``add_request`` (not ``generate``) means vLLM's own ``generate()``, streaming, abort and
every caller built on them go through the pipeline unchanged. For each request:

    question -> [context] -> key -> L1 memory -> L2 Redis -> single-flight
    -> engine (raced by the semantic stage) -> store, with NLP analysis beside it

The question is the user's part of the prompt (``enhanced_vllm.prompts``): the semantic stage and NLP
look at it, never at a chat template around it.

A hit returns a collector already holding the finished answer; a miss starts (or joins) one engine
generation; its finished, successful output is stored in every level.
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import functools
import logging
import multiprocessing
import time
import uuid
import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Any

from vllm import SamplingParams
from vllm.outputs import RequestOutput
from vllm.pooling_params import PoolingParams
from vllm.usage.usage_lib import UsageContext
from vllm.v1.engine import EngineCoreRequest
from vllm.v1.engine.async_llm import AsyncLLM
from vllm.v1.engine.exceptions import EngineDeadError
from vllm.v1.engine.output_processor import RequestOutputCollector
from vllm.v1.executor import Executor

from enhanced_vllm import vllm_internals
from enhanced_vllm.cache import codec
from enhanced_vllm.cache.epoch import EpochClock
from enhanced_vllm.cache.exact import ExactCache
from enhanced_vllm.cache.invalidation import Invalidation, Invalidator
from enhanced_vllm.cache.keys import CacheKey, KeyBuilder, model_identity
from enhanced_vllm.cache.memory import MemoryCache
from enhanced_vllm.cache.singleflight import Flight, FlightRegistry
from enhanced_vllm.collector import EnhancedRequestOutputCollector
from enhanced_vllm.config import (
    DEFAULT_CACHE_CONTROL,
    CacheConfig,
    CacheControl,
    CacheType,
    HandlerConfig,
    SimilarityConfig,
    VLLMConfig,
)
from enhanced_vllm.errors import ConfigError, EnhancedVLLMError
from enhanced_vllm.nlp.analyzer import analysis_result
from enhanced_vllm.nlp.background import BackgroundAnalyzer
from enhanced_vllm.outputs import EnhancedRequestOutput, is_successful
from enhanced_vllm.prompts import NO_QUESTION, Question, QuestionFinder
from enhanced_vllm.semantic.race import SemanticRace
from enhanced_vllm.stats import PipelineStats

if TYPE_CHECKING:
    from enhanced_vllm.cache.redis import RedisCache
    from enhanced_vllm.semantic.cache import SemanticCache

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class _Request:
    """One call of ``add_request`` as the pipeline stages see it."""

    request_id: str
    prompt: Any
    params: SamplingParams
    started: float  # time.perf_counter() at arrival
    engine_args: tuple  # the rest of vLLM's add_request arguments, passed through unchanged
    engine_kwargs: dict[str, Any]
    question: Question  # what the semantic stage and NLP look at
    control: CacheControl = DEFAULT_CACHE_CONTROL  # what it may read from and write to the caches
    similar_results: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # context added to the prompt

    @property
    def tokenization_kwargs(self) -> dict[str, Any] | None:
        """vLLM's ``tokenization_kwargs``: its ``add_request`` argument after ``lora_request``."""
        if len(self.engine_args) > 2:  # (arrival_time, lora_request, tokenization_kwargs, ...)
            return self.engine_args[2]
        return self.engine_kwargs.get("tokenization_kwargs")

    def without_tokenization_kwargs(self) -> tuple[tuple, dict[str, Any]]:
        """The other engine arguments (the renderer has used ``tokenization_kwargs`` up)."""
        args, kwargs = self.engine_args, dict(self.engine_kwargs)
        if len(args) > 2:
            return (*args[:2], None, *args[3:]), kwargs
        kwargs.pop("tokenization_kwargs", None)
        return args, kwargs


def _store_nothing(key: CacheKey, blob: bytes) -> None:
    """The exact levels' store for a request that may not write (``no_store``)."""


class EnhancedAsyncLLM(AsyncLLM):
    """A drop-in ``AsyncLLM`` whose requests pass the cache pipeline first.

    Build it like ``AsyncLLM`` (``from_engine_args``, ``from_vllm_config``), from our typed config
    (``from_custom_config``), or directly: ``EnhancedAsyncLLM(model=..., cache_config=...,
    handler_config=...)``; no model means the bundled default.
    """

    def __init__(
        self,
        vllm_config: Any = None,
        executor_class: type[Executor] | None = None,
        log_stats: bool = False,
        *,
        model: str | None = None,
        cache_config: CacheConfig | None = None,
        handler_config: HandlerConfig | None = None,
        similarity_config: SimilarityConfig | None = None,
        **kwargs: Any,
    ) -> None:
        if getattr(multiprocessing.current_process(), "_inheriting", False):
            raise EnhancedVLLMError(
                "vLLM starts its engine in spawned processes, which re-import your main module: "
                "create the engine under `if __name__ == '__main__':` (or inside a function)."
            )
        if vllm_config is None:
            config = VLLMConfig()
            config.engine_args.model = (
                model or (handler_config.model_name if handler_config else None) or config.engine_args.model
            )
            engine_args = config.to_engine_args()
            usage = kwargs.get("usage_context", UsageContext.ENGINE_CONTEXT)
            vllm_config = engine_args.create_engine_config(usage)
            executor_class = Executor.get_class(vllm_config)
            log_stats = not engine_args.disable_log_stats
            kwargs.setdefault("log_requests", engine_args.enable_log_requests)
        super().__init__(vllm_config, executor_class, log_stats, **kwargs)
        vllm_internals.check(self)
        self._background: set[asyncio.Task] = set()
        self.redis: RedisCache | None = None
        self.semantic: SemanticCache | None = None
        self.nlp: BackgroundAnalyzer | None = None
        self.configure(cache_config, handler_config, similarity_config)
        # as vLLM's own server does after start: the startup heap (model config, tokenizer, embedder)
        # is left out of garbage collection, which otherwise walks it on every full pass mid-stream
        vllm_internals.freeze_startup_heap()
        atexit.register(_shutdown_at_exit, weakref.ref(self))

    @classmethod
    def from_engine_args(
        cls,
        engine_args: Any,
        *args: Any,
        cache_config: CacheConfig | None = None,
        handler_config: HandlerConfig | None = None,
        similarity_config: SimilarityConfig | None = None,
        **kwargs: Any,
    ) -> EnhancedAsyncLLM:
        build = cls._configured(cache_config, handler_config, similarity_config)
        return AsyncLLM.from_engine_args.__func__(build, engine_args, *args, **kwargs)

    @classmethod
    def from_vllm_config(
        cls,
        vllm_config: Any,
        *args: Any,
        cache_config: CacheConfig | None = None,
        handler_config: HandlerConfig | None = None,
        similarity_config: SimilarityConfig | None = None,
        **kwargs: Any,
    ) -> EnhancedAsyncLLM:
        build = cls._configured(cache_config, handler_config, similarity_config)
        return AsyncLLM.from_vllm_config.__func__(build, vllm_config, *args, **kwargs)

    @classmethod
    def _configured(
        cls,
        cache_config: CacheConfig | None,
        handler_config: HandlerConfig | None,
        similarity_config: SimilarityConfig | None,
    ) -> Any:
        """``cls`` with the cache configs bound, for vLLM's own classmethods (which only call
        ``cls(...)``): the caches are configured once, with these configs, not with defaults first."""
        return functools.partial(
            cls, cache_config=cache_config, handler_config=handler_config, similarity_config=similarity_config
        )

    @classmethod
    def from_custom_config(
        cls,
        custom_config: VLLMConfig | None = None,
        cache_manager: CacheConfig | None = None,
        similarity_search_helper: Any = None,
        *,
        handler_config: HandlerConfig | None = None,
    ) -> EnhancedAsyncLLM:
        """The original design's constructor: ``custom_config`` is a :class:`VLLMConfig`,
        ``cache_manager`` a :class:`CacheConfig`."""
        if similarity_search_helper is not None:
            raise ConfigError("similarity_search_helper is not supported yet: the semantic stage is not built")
        engine_args = (custom_config or VLLMConfig()).to_engine_args()
        return cls.from_engine_args(engine_args, cache_config=cache_manager, handler_config=handler_config)

    def configure(
        self,
        cache_config: CacheConfig | None = None,
        handler_config: HandlerConfig | None = None,
        similarity_config: SimilarityConfig | None = None,
    ) -> None:
        """(Re)build the cache levels; call while no request is in flight."""
        self.cache_config = cache_config or CacheConfig()
        self.handler_config = handler_config or HandlerConfig()
        self.similarity_config = similarity_config or SimilarityConfig()
        if self.semantic is not None:
            self.semantic.close()  # its queued stores are written first
        self.semantic, self.semantic_error, self.context = None, None, None
        features = self.handler_config.features
        if (
            features.enable_caching
            and features.enable_similarity_search
            and self.similarity_config.enable_vector_search
        ):
            self._start_semantic_cache()
        if features.enable_context_enhancement and self.semantic is not None:
            from enhanced_vllm.nlp.context import ContextEnhancer

            sim = self.similarity_config
            self.context = ContextEnhancer(self.semantic, sim.max_similar_results, sim.context_threshold)
        cfg = self.cache_config
        self.keys = KeyBuilder(model_identity(self.model_config), cfg.namespace, cfg.cache_sampled_without_seed)
        self.memory = MemoryCache(cfg.memory_cache_size, cfg.ttl)
        old_redis, self.redis = self.redis, None
        if old_redis is not None:
            self._spawn(old_redis.close())
        if cfg.cache_type == CacheType.REDIS:
            from enhanced_vllm.cache.redis import RedisCache  # optional extra [redis]

            self.redis = RedisCache(
                cfg.resolved_redis_url,
                cfg.ttl,
                cfg.redis_key_prefix,
                cfg.redis_timeout,
                cfg.redis_retry_interval,
                cfg.redis_max_connections,
            )
        self.flights = FlightRegistry()
        nlp = self.handler_config.nlp
        if self.nlp is None or self.nlp.processes != nlp.max_concurrent_tasks:  # kept: its processes are warm
            if self.nlp is not None:
                self.nlp.close()
            self.nlp = BackgroundAnalyzer(nlp.max_concurrent_tasks, nlp.max_pending_tasks)
        self.nlp.max_pending = nlp.max_pending_tasks
        label = self.handler_config.model_name or self.model_config.served_model_name or "engine"
        self.stats = PipelineStats(f"{label}#{id(self):x}")
        self.exact = ExactCache(self.memory, self.redis, self.stats, self._spawn)
        self.invalidator = Invalidator(self.memory, self.redis, self.semantic)
        self.epochs = EpochClock(cfg.namespace, self.redis, self.semantic)
        self._epoch_due = 0.0  # the epoch is read before the first request, then every interval
        if self.semantic is not None:
            self.semantic.store.stamp = {"namespace": cfg.namespace, "epoch": self.keys.epoch}

    def _start_semantic_cache(self) -> None:
        from enhanced_vllm.semantic.cache import SemanticCache  # optional extra [semantic]

        try:
            self.semantic = SemanticCache(self.similarity_config)
        except ConfigError:
            raise
        except Exception as exc:  # e.g. the Chroma server is down: run without the semantic stage
            logger.warning("semantic cache unavailable (%r); continuing with the exact levels", exc)
            self.semantic_error = repr(exc)

    # ------------------------------------------------------------------ the request pipeline

    async def add_request(
        self,
        request_id: str,
        prompt: Any,
        params: SamplingParams | PoolingParams,
        arrival_time: float | None = None,
        lora_request: Any = None,
        *args: Any,
        tenant: str | None = None,
        question: str | None = None,
        cache_control: CacheControl | dict[str, Any] | str | None = None,
        **kwargs: Any,
    ) -> RequestOutputCollector:
        """vLLM's ``add_request``. Ours: ``tenant`` isolates cache entries between tenants;
        ``question`` is the user's question inside a larger prompt (default: found in the prompt,
        see ``enhanced_vllm.prompts``; ``NO_QUESTION``: none, the semantic stage does not run);
        ``cache_control`` (:class:`CacheControl`) what this request may read from and write to the caches."""
        started = time.perf_counter()
        control = CacheControl.of(cache_control)
        if self.errored:
            raise EngineDeadError()
        if time.monotonic() >= self._epoch_due:
            await self._follow_epoch()
        if isinstance(params, PoolingParams) or isinstance(prompt, AsyncGenerator):
            return await super().add_request(request_id, prompt, params, arrival_time, lora_request, *args, **kwargs)
        request = _Request(
            request_id,
            prompt,
            params,
            started,
            (arrival_time, lora_request, *args),
            kwargs,
            self._find_question(prompt, question),
            control,
        )
        found = request.question
        reads_semantic = control.reads and control.semantic
        if self.context is not None and reads_semantic and isinstance(prompt, str) and found.text is not None:
            enhanced, request.similar_results = await self.context.enhance(found.text, tenant)
            if request.similar_results:  # the key covers the prompt the engine really sees
                request.prompt = prompt = found.context.replace("\0", enhanced) if found.context else enhanced

        key = self._cache_key(prompt, params, lora_request, tenant, found, request.tokenization_kwargs)
        if key is None:
            self.stats.count("bypassed")
            return await self._start_generation(None, None, request)
        if not control.writes:
            self.stats.count("stores_skipped")
        if not control.reads:  # a fresh generation of its own, shared with no one
            self.stats.count("reads_skipped")
            return await self._start_generation(None, key, request, store=control.writes)
        if (hit := await self._lookup_exact(key, request)) is not None:
            return hit
        flight_key = (key.digest, params.output_kind, control.sharing)
        if (flight := self.flights.joinable(flight_key)) is not None:
            return self._join(flight, request)
        if not control.writes:  # leads no shared generation: a follower's answer would not be stored
            flight_key = None
        if reads_semantic and self.semantic is not None and key.prompt_text is None:
            self.semantic.telemetry.record("", None, "skipped", "no question found")
        return await self._start_generation(flight_key, key, request, reads_semantic, control.writes)

    @functools.cached_property
    def questions(self) -> QuestionFinder:
        """Finds each request's question, with this engine's tokenizer and chat template."""
        return QuestionFinder(self.tokenizer)

    def _find_question(self, prompt: Any, question: str | None) -> Question:
        features = self.handler_config.features
        if self.semantic is None and self.context is None and not features.enable_nlp_enhancement:
            return Question(None, skip_reason="no stage reads the question")
        return self.questions.find(prompt, question)

    def _cache_key(
        self,
        prompt: Any,
        params: SamplingParams,
        lora_request: Any,
        tenant: str | None,
        question: Question | None,
        tokenization_kwargs: dict[str, Any] | None = None,
    ) -> CacheKey | None:
        if not self.handler_config.features.enable_caching or isinstance(prompt, EngineCoreRequest):
            return None
        return self.keys.build(prompt, params, lora_request, tenant, question, tokenization_kwargs)

    async def _lookup_exact(self, key: CacheKey, request: _Request) -> RequestOutputCollector | None:
        if (hit := await self.exact.lookup(key, request.request_id, request.control)) is None:
            return None
        level, output = hit
        collector = self._collector(request, level=level)
        collector.put(output)
        return collector

    def cached_output(
        self,
        prompt: Any,
        params: SamplingParams,
        *,
        tenant: str | None = None,
        question: str | None = None,
        request_id: str | None = None,
        cache_control: CacheControl | dict[str, Any] | str | None = None,
    ) -> EnhancedRequestOutput | None:
        """The finished L1 answer for this request, without the event loop (callable from any
        thread: sync adapters answer memory hits without a hop to the engine's loop), or None,
        after which the request goes through ``add_request`` as usual. Only the memory level
        is read here; a miss is not counted twice (only hits are recorded)."""
        if self.errored or self.context is not None or isinstance(params, PoolingParams):
            return None
        if time.monotonic() >= self._epoch_due:  # add_request reads the epoch first
            return None
        control = CacheControl.of(cache_control)
        if not control.reads:
            return None
        key = self._cache_key(prompt, params, None, tenant, None)  # the exact digest needs no question
        if key is None:
            return None
        request_id = request_id or uuid.uuid4().hex
        if (output := self.exact.lookup_memory(key, request_id, count_miss=False, control=control)) is None:
            return None
        found = self._find_question(prompt, question)
        request = _Request(request_id, prompt, params, time.perf_counter(), (), {}, found, control)
        collector = self._collector(request, level="memory")
        collector.put(output)
        return collector.get_nowait()

    def _join(self, flight: Flight, request: _Request) -> RequestOutputCollector:
        collector = self._collector(request, coalesced=True)
        self.flights.subscribe(flight, collector)
        self._analyse_beside_generation(collector, request.question.text)
        self.stats.count("coalesced")
        self.stats.coalesced_changed(+1)
        return collector

    async def _start_generation(
        self,
        flight_key: Any,
        key: CacheKey | None,
        request: _Request,
        race_semantic: bool = False,
        store: bool = True,
    ) -> RequestOutputCollector:
        """Start the engine request; with ``race_semantic``, the semantic lookup runs beside it and
        the engine's outputs are held until the lookup answers or the first output plus
        ``max_hold_ms`` has passed (a hit in time aborts the engine request). ``store``: the answer
        (or the semantic hit served instead) is written to the caches, kept the request's ``ttl``."""
        ttl = request.control.ttl
        flight = Flight(
            flight_key,
            request.params.output_kind,
            on_done=lambda f, final: self._flight_done(key if store else None, f, final, ttl),
            n=request.params.n,
        )
        collector = self._collector(request)
        self.flights.add(flight)
        self.flights.subscribe(flight, collector)
        self.stats.count("engine_requests")
        race = None
        if race_semantic and self.semantic is not None and key.prompt_text:
            on_hit = functools.partial(self.exact.store, ttl=ttl) if store else _store_nothing
            hold_ms = self.similarity_config.max_hold_ms
            race = SemanticRace(self.semantic, hold_ms, self.stats, on_hit, self._abort_engine, request.control)
            race.hold(flight)
        try:
            prompt, engine_args, engine_kwargs = await self._rendered(request)
            engine_queue = await super().add_request(
                request.request_id, prompt, request.params, *engine_args, **engine_kwargs
            )
        except BaseException as exc:
            self.flights.remove(flight)
            shared_error = (
                exc if isinstance(exc, Exception) else EnhancedVLLMError("the shared generation was cancelled")
            )
            for follower in flight.subscribers[1:]:
                follower.put(shared_error)
            self._flight_done(None, flight, None)
            raise
        flight.engine_request_id = engine_queue.request_id
        self._route_outputs(engine_queue, flight)
        if not flight.subscribers:  # everyone left while the request was being added
            await super().abort(engine_queue.request_id, internal=True)
            return collector
        # Started only now: their threads would otherwise compete with vLLM's tokenization
        if race is not None:
            self._spawn(race.run(flight, key))
        self._analyse_beside_generation(collector, request.question.text)
        return collector

    async def _rendered(self, request: _Request) -> tuple[Any, tuple, dict[str, Any]]:
        """The request's prompt rendered as vLLM asks callers to, with the tokenization arguments
        (vLLM's ``add_request`` argument after ``lora_request``) used up by the rendering."""
        if vllm_internals.is_rendered(request.prompt) or isinstance(request.prompt, EngineCoreRequest):
            return request.prompt, request.engine_args, request.engine_kwargs
        rendered = await vllm_internals.render_prompt(self, request.prompt, request.tokenization_kwargs)
        return rendered, *request.without_tokenization_kwargs()

    async def _abort_engine(self, engine_request_id: str) -> None:
        await AsyncLLM.abort(self, engine_request_id, internal=True)

    def _route_outputs(self, engine_queue: RequestOutputCollector, flight: Flight) -> None:
        """Make vLLM's output processor put this request's outputs into ``flight`` instead of the
        collector ``AsyncLLM.add_request`` created: outputs then reach every subscriber without
        an extra task hop per token. Outputs that arrived meanwhile are handed over too."""
        vllm_internals.reroute_outputs(self.output_processor, engine_queue, flight)

    def _flight_done(
        self, key: CacheKey | None, flight: Flight, final: RequestOutput | None, ttl: float | None = None
    ) -> None:
        """The generation ended: store a successful answer in every level, kept ``ttl`` s (None: each
        level's own TTL)."""
        self.flights.remove(flight)
        self.stats.coalesced_changed(-sum(1 for c in flight.subscribers if c.metadata["coalesced"]))
        if key is not None and final is not None and is_successful(final):
            blob = codec.encode(final, self.cache_config.enable_compression)
            self.exact.store(key, blob, ttl)
            if self.semantic is not None and key.prompt_text:
                answer = final.outputs[0].text if final.outputs else ""
                stored = self.semantic.store_answer(key.prompt_text, answer, key.signature, key.tenant, blob, ttl)
                if not stored:
                    self.stats.count("semantic_store_skipped")  # its queue is full: overload
            self.stats.count("stored")

    def _collector(
        self, request: _Request, level: str | None = None, coalesced: bool = False
    ) -> EnhancedRequestOutputCollector:
        metadata = {
            "cached": level is not None,
            "cache_hit": level is not None,
            "cache_level": level,
            "coalesced": coalesced,
            "request_id": request.request_id,
            "nlp_result": None,
            "similar_results": request.similar_results,
            "semantic_skipped": request.question.skip_reason if self.semantic is not None else None,
        }
        annotate = None
        if self.handler_config.features.enable_nlp_enhancement and request.question.text:
            annotate = functools.partial(self._analyse_now, request.question.text)
        return EnhancedRequestOutputCollector(
            request.params.output_kind,
            request.request_id,
            metadata,
            n=request.params.n,
            on_finished=self._record_finished,
            started=request.started,
            annotate=annotate,
        )

    def _analyse_now(self, question: str) -> dict[str, Any]:
        """The analysis on the loop, for a request that finished before its worker's result came."""
        self.stats.count("nlp_inline")
        return analysis_result(question)

    def _analyse_beside_generation(self, collector: EnhancedRequestOutputCollector, question: str | None) -> None:
        """Misses: NLP runs in the analysis processes while the engine generates (hits analyse when
        they finish); under overload it is skipped and counted."""
        if collector.annotate is not None and not self.nlp.submit(collector, question):
            self.stats.count("nlp_skipped")

    def _record_finished(self, output: EnhancedRequestOutput) -> None:
        self.stats.finished(output.metadata["processing_time"])

    # ------------------------------------------------------------------ invalidation and epochs

    async def invalidate_tenant(self, tenant: str | None = None, *, dry_run: bool = False) -> Invalidation:
        """Delete every answer of ``tenant`` (None: the namespace's default tenant) from every level."""
        return await self.invalidator.tenant(tenant or self.cache_config.namespace, dry_run)

    async def invalidate_request(
        self,
        prompt: Any,
        sampling_params: SamplingParams | None = None,
        *,
        tenant: str | None = None,
        question: str | None = None,
        dry_run: bool = False,
    ) -> Invalidation:
        """Delete the answer to exactly this request (prompt, sampling, tenant) and its semantic
        entry; for a conversation, pass ``render_chat(messages)``'s prompt and question."""
        key = self.key_for(prompt, sampling_params or SamplingParams(), tenant=tenant, question=question)
        if key is None:
            return Invalidation(dry_run)
        return await self.invalidator.request(key, dry_run)

    def key_for(
        self, prompt: Any, params: SamplingParams, *, tenant: str | None = None, question: str | None = None
    ) -> CacheKey | None:
        """The cache key ``add_request`` gives this request (None: it bypasses the cache)."""
        return self._cache_key(prompt, params, None, tenant, self._find_question(prompt, question))

    async def invalidate_similar(
        self,
        question: str,
        *,
        similarity: float | None = None,
        tenant: str | None = None,
        dry_run: bool = False,
    ) -> Invalidation:
        """Delete every stored question at least ``similarity`` (default: the semantic threshold)
        similar to ``question``, of ``tenant`` (None: any), with the copies of its answer."""
        threshold = self.similarity_config.similarity_threshold if similarity is None else similarity
        return await self.invalidator.neighbourhood(question, threshold, tenant, dry_run)

    async def bump_epoch(self) -> int:
        """Retire every entry of this namespace at once, in every level and (through Redis, or the
        Chroma collection without Redis) in every process sharing them; returns the new epoch."""
        epoch = await self.epochs.bump()
        self._enter_epoch(epoch, in_chroma=True)
        return epoch

    async def _follow_epoch(self) -> None:
        """Read the shared epoch: before the first request inline, afterwards in the background."""
        first = self._epoch_due == 0.0
        self._epoch_due = time.monotonic() + self.epochs.interval
        if first:
            await self.follow_epoch()
        else:
            self._spawn(self.follow_epoch())

    async def follow_epoch(self) -> int:
        """Read the shared epoch now and key requests by it; returns it (the last known, when its
        store is down)."""
        epoch = await self.epochs.read()
        if epoch is not None and epoch != self.keys.epoch:
            self._enter_epoch(epoch, in_chroma=False)
        return self.keys.epoch

    def _enter_epoch(self, epoch: int, in_chroma: bool) -> None:
        """Key requests by ``epoch`` from now on; drop older entries from memory and the mirror (and
        from Chroma, ``in_chroma``)."""
        self.keys.set_epoch(epoch)
        self.memory.clear()
        if self.semantic is not None:
            namespace = self.cache_config.namespace
            self.semantic.store.stamp = {"namespace": namespace, "epoch": epoch}
            self._spawn(self._retire_semantic_epochs(namespace, epoch, in_chroma))

    async def _retire_semantic_epochs(self, namespace: str, epoch: int, in_chroma: bool) -> None:
        try:
            await asyncio.to_thread(self.semantic.store.retire_epochs_before, namespace, epoch, in_chroma)
        except Exception as exc:  # Chroma down: older entries stay there, unreachable, until they expire
            logger.warning("retiring semantic entries before epoch %d failed: %r", epoch, exc)

    # ------------------------------------------------------------------ abort and lifecycle

    async def abort(self, request_id: str | Any, internal: bool = False) -> None:
        """Abort requests by id. A request sharing a generation only detaches from it; the engine
        request is aborted when its last listener leaves."""
        request_ids = [request_id] if isinstance(request_id, str) else list(request_id)
        orphaned_engine_ids, others = [], []
        for rid in request_ids:
            if rid in self.flights.by_request:
                for flight in self.flights.detach(rid):
                    if flight.engine_request_id is not None:
                        orphaned_engine_ids.append(flight.engine_request_id)
            else:
                others.append(rid)
        if orphaned_engine_ids:
            await super().abort(orphaned_engine_ids, internal=True)
        if others:
            await super().abort(others, internal)

    def render_chat(self, messages: list[dict[str, Any]], **template_kwargs: Any) -> tuple[str, str]:
        """The prompt for role/content ``messages`` (the model's chat template, with the generation
        prompt) and the question the semantic stage matches: the last message when it is the
        user's text, else ``NO_QUESTION``."""
        prompt = self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True, **template_kwargs
        )
        last = messages[-1] if messages else {}
        content = last.get("content")
        question = content if last.get("role") == "user" and isinstance(content, str) and content else NO_QUESTION
        return prompt, question

    async def chat(
        self,
        messages: list[dict[str, Any]],
        sampling_params: SamplingParams,
        request_id: str | None = None,
        *,
        tenant: str | None = None,
        chat_template_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> AsyncGenerator[RequestOutput, None]:
        """``generate()`` for a conversation, like vLLM's ``LLM.chat``: the messages are rendered
        with the chat template and the last user message is the question."""
        prompt, question = self.render_chat(messages, **(chat_template_kwargs or {}))
        request_id = request_id or uuid.uuid4().hex
        queue = await self.add_request(request_id, prompt, sampling_params, tenant=tenant, question=question, **kwargs)
        try:
            finished = False
            while not finished:
                output = queue.get_nowait() or await queue.get()
                finished = output.finished
                yield output
        except (asyncio.CancelledError, GeneratorExit):
            await self.abort(queue.request_id, internal=True)
            raise

    async def generate_enhanced(
        self,
        prompt: Any,
        sampling_params: SamplingParams | None = None,
        request_id: str | None = None,
        *,
        tenant: str | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[EnhancedRequestOutput]:
        """Stream outputs with metadata; a failure ends with one output whose ``error`` is set."""
        collector = await self.submit(prompt, sampling_params, request_id, tenant=tenant, **kwargs)
        try:
            async for output in collector.aiter():
                yield output
        except (asyncio.CancelledError, GeneratorExit):
            await self.abort(collector.request_id, internal=True)
            raise

    async def submit(
        self,
        prompt: Any,
        sampling_params: SamplingParams | None = None,
        request_id: str | None = None,
        *,
        tenant: str | None = None,
        **kwargs: Any,
    ) -> EnhancedRequestOutputCollector:
        """``add_request`` that never raises: a rejected request yields one output with ``error``."""
        params = sampling_params or SamplingParams()
        request_id = request_id or uuid.uuid4().hex
        try:
            return await self.add_request(request_id, prompt, params, tenant=tenant, **kwargs)
        except Exception as exc:
            request = _Request(request_id, prompt, params, time.perf_counter(), (), {}, Question(None))
            collector = self._collector(request)
            collector.put(exc)
            return collector

    def _spawn(self, coroutine: Any) -> None:
        """Run cache I/O off the request path, keeping a reference until it is done."""
        try:
            task = asyncio.get_running_loop().create_task(coroutine)
        except RuntimeError:  # no loop (configure() at construction): nothing to wait for
            coroutine.close()
            return
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def flush_cache_writes(self, timeout: float = 2.0) -> bool:
        """Wait (at most ``timeout`` s) for the cache writes still running in the background;
        False if some were still pending."""
        deadline = time.monotonic() + timeout
        if self._background:
            await asyncio.wait(list(self._background), timeout=timeout)
        flushed = not self._background
        if self.semantic is not None:
            remaining = max(0.0, deadline - time.monotonic())
            flushed = await asyncio.to_thread(self.semantic.flush, remaining) and flushed
        return flushed

    async def cleanup(self, timeout: float = 5.0) -> bool:
        """Finish pending cache writes (at most ``timeout`` s), close Redis and the semantic stage and
        shut the engine down; False (and a warning) if some writes were still pending: those are
        dropped (a Redis write is one command, so an entry is whole or absent)."""
        flushed = await self.flush_cache_writes(timeout)
        if not flushed:
            logger.warning("cleanup: cache writes still pending after %.1f s were dropped", timeout)
        for task in list(self._background):
            task.cancel()
        if self.redis is not None:
            await self.redis.close()
        if self.semantic is not None:
            self.semantic.close(timeout=0)
        self.nlp.close()
        self.shutdown()
        return flushed


def _shutdown_at_exit(ref: weakref.ref) -> None:
    """An engine left running keeps its child processes alive and can hang interpreter exit."""
    if (llm := ref()) is not None:
        llm.shutdown()
