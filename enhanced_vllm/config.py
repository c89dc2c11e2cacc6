"""Typed, validated configuration. Every model reads ``ENHANCED_VLLM_<SECTION>_<FIELD>`` environment
variables as overrides of its defaults (explicit arguments win); nested fields use ``__``, e.g.
``ENHANCED_VLLM_HANDLER_FEATURES__ENABLE_CACHING=false``. Invalid values raise :class:`ConfigError`
at construction, naming the field.
"""

from __future__ import annotations

import enum
import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from enhanced_vllm.errors import ConfigError

CPU_KV_CACHE_BYTES = 1 << 30
# auto means this on CPU and for the bundled model: its greedy output equals transformers' (16/16 on CPU
# and on an H200), bfloat16's does not (CPU: 12/16; H200: 15/16), see `enhanced-vllm eval answers`
EXACT_DTYPE = "float32"


def _settings(section: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=f"ENHANCED_VLLM_{section}_",
        env_nested_delimiter="__",
        validate_assignment=True,
        extra="forbid",
    )


class _Validated:
    """Turns pydantic's ValidationError into our ConfigError (also a ValueError)."""

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigError(f"invalid {type(self).__name__}: {exc}") from exc

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            super().__setattr__(name, value)
        except ValidationError as exc:
            raise ConfigError(f"invalid {type(self).__name__}.{name}: {exc}") from exc


class EngineArgsConfig(_Validated, BaseModel):
    """Arguments for vLLM's ``AsyncEngineArgs``. Unknown fields pass through unchanged, so any
    engine argument vLLM accepts can be set; ``model=None`` means the bundled default model."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    # a model folder or Hugging Face name; None: the bundled SmolLM2-135M-Instruct
    model: str | None = None
    # the longest prompt + output in tokens
    max_model_len: int | None = Field(default=2048, gt=0)
    dtype: str = "auto"  # auto: the model's own dtype, except EXACT_DTYPE on CPU and for the bundled model
    # the share of GPU memory vLLM may take (weights, activations, KV cache)
    gpu_memory_utilization: float = Field(default=0.9, gt=0, le=1)
    # GPUs one model is split across (vLLM's own tensor parallel)
    tensor_parallel_size: int = Field(default=1, ge=1)
    enforce_eager: bool | None = None  # None: True on CPU (faster start, see SETUP.md)


class VLLMConfig(_Validated, BaseSettings):
    """The engine: ``engine_args`` goes to ``AsyncEngineArgs``."""

    model_config = _settings("VLLM")

    # vLLM's engine arguments (`EngineArgsConfig` below)
    engine_args: EngineArgsConfig = Field(default_factory=EngineArgsConfig)

    def to_engine_args(self) -> Any:
        """Build ``AsyncEngineArgs``, resolving the bundled model and CPU defaults."""
        from vllm.engine.arg_utils import AsyncEngineArgs
        from vllm.platforms import current_platform

        from enhanced_vllm.models import ensure_default_model

        args = self.engine_args.model_dump()
        bundled = args["model"] is None
        if bundled:
            args["model"] = str(ensure_default_model())
        if args["enforce_eager"] is None:
            args["enforce_eager"] = current_platform.is_cpu()
        if args["dtype"] == "auto" and (bundled or current_platform.is_cpu()):
            args["dtype"] = EXACT_DTYPE  # bf16 flips near-tied greedy tokens (docs/gpu.md: "Engine dtype")
        if current_platform.is_cpu():
            if not os.environ.get("VLLM_CPU_KVCACHE_SPACE") and args.get("kv_cache_memory_bytes") is None:
                # an explicit KV cache size; otherwise vLLM's CPU worker refuses to start whenever
                # less than gpu_memory_utilization of the NUMA node is free (page cache counts)
                args["kv_cache_memory_bytes"] = CPU_KV_CACHE_BYTES
        try:
            return AsyncEngineArgs(**args)
        except TypeError as exc:
            raise ConfigError(f"unknown vLLM engine argument in VLLMConfig.engine_args: {exc}") from exc


class CacheType(str, enum.Enum):
    """Where exact-match answers live: the in-process LRU only, or also in Redis (shared)."""

    MEMORY = "memory"
    REDIS = "redis"


class CacheConfig(_Validated, BaseSettings):
    """Exact-match cache: L1 in-process LRU+TTL, L2 Redis when ``cache_type=REDIS``.

    Sampled requests (temperature > 0) are cached only when they carry a ``seed`` (then the
    answer is reproducible); unseeded ones bypass the cache and single-flight unless
    ``cache_sampled_without_seed`` is set, which reuses the first sample.
    """

    model_config = _settings("CACHE")

    # memory: the in-process LRU only; redis: also Redis, shared by processes
    cache_type: CacheType = CacheType.MEMORY
    # redis://host:port/db (wins over host, port and db)
    redis_url: str | None = None
    # Redis host when no URL is given
    redis_host: str = "127.0.0.1"
    # Redis port when no URL is given
    redis_port: int = Field(default=6379, gt=0, lt=65536)
    # Redis database when no URL is given
    redis_db: int = Field(default=0, ge=0)
    # seconds a Redis call may take before the request goes on without Redis
    redis_timeout: float = Field(default=0.5, gt=0)
    # seconds Redis stays out of the path after a failure before it is tried again
    redis_retry_interval: float = Field(default=1.0, ge=0)
    # connections to Redis (a blocking pool: past it a call waits, up to redis_timeout); size it for the
    # number of concurrent requests the engine serves
    redis_max_connections: int = Field(default=256, gt=0)
    # first part of every Redis key (keys are prefix:tenant:digest)
    redis_key_prefix: str = "enhanced_vllm"
    # entries of the in-process LRU
    memory_cache_size: int = Field(default=1000, gt=0)
    # seconds an exact entry lives (a request's cache_control ttl= overrides it)
    ttl: float = Field(default=3600, gt=0)
    # zlib-compress the encoded answers (every value, read back whatever the setting)
    enable_compression: bool = False
    # a name joined to every key: another namespace shares no entries
    namespace: str = Field(default="default", min_length=1)
    # also cache sampled requests without a seed (reuses the first sample)
    cache_sampled_without_seed: bool = False

    @property
    def resolved_redis_url(self) -> str:
        return self.redis_url or f"redis://{self.redis_host}:{self.redis_port}/{self.redis_db}"


# target precision -> (similarity_threshold, short_question_threshold), measured on
# ../shared/data/paraphrase_dev.jsonl: for each target, the point with the most recall chosen on the whole
# file (semantic.operating_point.choose) at the lowest choice precision (steps of 0.005 from the target) whose
# 5-fold cross-validated precision (4 shuffles) is >= the target. Held out: 0.85 -> P 0.860 +- 0.042,
# R 0.531 +- 0.035; 0.88 -> 0.886 +- 0.039, 0.466 +- 0.045 (the default); 0.90 -> 0.902 +- 0.047, 0.336;
# 0.92 -> 0.921 +- 0.047, 0.271; 0.95 -> 0.956 +- 0.045, 0.128. Adversarial dev false hits 0.000 at each.
OPERATING_POINTS: dict[float, tuple[float, float | None]] = {
    0.85: (0.79, 0.88),
    0.88: (0.80, 0.93),
    0.90: (0.89, 0.93),
    0.92: (0.91, 0.94),
    0.95: (0.97, 0.98),
}


def thresholds_for_precision(target: Any) -> tuple[float, float | None]:
    """(similarity_threshold, short_question_threshold) of the measured operating point for the
    smallest tabulated precision >= ``target``; ValueError when none is that high."""
    try:
        target = float(target)
    except (TypeError, ValueError):
        raise ValueError(f"target_precision must be a number, got {target!r}") from None
    reachable = [point for point in OPERATING_POINTS if point >= target]
    if not reachable:
        raise ValueError(f"target_precision {target} is above the highest measured point {max(OPERATING_POINTS)}")
    return OPERATING_POINTS[min(reachable)]


def read_calibration(path: Any) -> tuple[float, float | None]:
    """(similarity_threshold, short_question_threshold) from a file ``enhanced-vllm calibrate --write`` wrote."""
    try:
        point = json.loads(Path(path).read_text(encoding="utf-8"))
        return float(point["similarity_threshold"]), point["short_question_threshold"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"calibration_file {path}: {exc!r}") from None


CACHE_FLAGS = ("no_cache", "no_store", "bypass", "no_semantic")  # directives, also written with "-"
CACHE_VALUES = ("max_age", "ttl", "similarity_threshold", "target_precision")  # "max-age=60"


class CacheControl(_Validated, BaseModel):
    """What one request may do with the caches (``add_request(..., cache_control=...)`` and the
    adapters' per-call ``cache_control=``): a ``CacheControl``, a dict of its fields, or HTTP-style
    directives (``"no-cache, no-store"``, ``"max-age=60, ttl=600"``).

    ``similarity_threshold`` replaces ``SimilarityConfig.similarity_threshold`` for this request (the
    short-question rule and the guard still apply); ``target_precision`` picks both thresholds from
    the measured operating points, as ``SimilarityConfig(target_precision=...)`` does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    no_cache: bool = False  # read nothing: no exact or semantic hit, no joining a shared generation
    no_store: bool = False  # write nothing: not this answer, nor a semantic hit's copy in the exact levels
    bypass: bool = False  # neither read nor write
    semantic: bool = True  # False: the exact levels only (no semantic lookup for this request)
    max_age: float | None = Field(default=None, ge=0)  # accept only answers generated at most this many s ago
    ttl: float | None = Field(default=None, gt=0)  # this answer's own lifetime in every level, in s
    similarity_threshold: float | None = Field(default=None, ge=0, le=1)  # this request's cosine threshold
    target_precision: float | None = Field(default=None, ge=0, le=1)  # or its operating point

    @model_validator(mode="after")
    def _one_similarity_target(self) -> CacheControl:
        if self.similarity_threshold is not None and self.target_precision is not None:
            raise ValueError("give similarity_threshold or target_precision, not both")
        if self.target_precision is not None:
            thresholds_for_precision(self.target_precision)  # reachable, or a ValueError now
        return self

    @property
    def reads(self) -> bool:
        return not (self.no_cache or self.bypass)

    @property
    def writes(self) -> bool:
        return not (self.no_store or self.bypass)

    @property
    def sharing(self) -> tuple:
        """What requests sharing one generation must agree on: the leader's race and store serve them all."""
        return self.semantic, self.similarity_threshold, self.target_precision, self.max_age, self.ttl

    def thresholds(self, similarity: SimilarityConfig) -> tuple[float, float | None]:
        """(similarity_threshold, short_question_threshold) a semantic match of this request needs."""
        if self.target_precision is not None:
            return thresholds_for_precision(self.target_precision)
        short = similarity.short_question_threshold
        if self.similarity_threshold is None:
            return similarity.similarity_threshold, short
        return self.similarity_threshold, None if short is None else max(short, self.similarity_threshold)

    def fresh(self, created_at: float | None, now: float) -> bool:
        """Whether an answer generated at ``created_at`` (wall time; None: unknown) is young enough."""
        if self.max_age is None:
            return True
        return created_at is not None and now - created_at <= self.max_age

    @classmethod
    def of(cls, value: CacheControl | dict[str, Any] | str | None) -> CacheControl:
        if value is None:
            return DEFAULT_CACHE_CONTROL
        if isinstance(value, CacheControl):
            return value
        if isinstance(value, str):
            return cls(**_parse_directives(value))
        if isinstance(value, dict):
            return cls(**value)
        raise ConfigError(f"cache_control must be a CacheControl, a dict or a string, not {type(value).__name__}")


def _parse_directives(text: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for directive in (d.strip().replace("-", "_") for d in text.split(",") if d.strip()):
        name, _, value = directive.partition("=")
        name = name.strip()
        if name in CACHE_FLAGS and not value:
            fields["semantic" if name == "no_semantic" else name] = name != "no_semantic"
        elif name in CACHE_VALUES and value:
            fields[name] = value.strip()
        else:
            known = ", ".join([*CACHE_FLAGS, *(f"{v}=N" for v in CACHE_VALUES)])
            raise ConfigError(f"unknown cache_control directive {directive!r}; known: {known}")
    return fields


DEFAULT_CACHE_CONTROL = CacheControl()


class SimilarityConfig(_Validated, BaseSettings):
    """Semantic cache and similar-question search on Chroma.

    ``similarity_threshold`` is the cosine score a stored question needs before the guard is asked.
    Thresholds are per entry and per question: when the stored or the asked question has fewer than
    ``short_question_words`` words, the match needs ``short_question_threshold`` (None: off), because
    in a short question one changed word changes the meaning more than it moves the embedding. The
    defaults (0.8; 0.93 under 8 words) are ``OPERATING_POINTS[0.88]``, chosen on the dev sets for
    >= 0.88 cross-validated precision (docs/quality.md). Chroma runs embedded (``persistent`` at
    ``chroma_path``, or ``ephemeral``) or as a server (``http``), which is how several processes share
    one semantic cache. On an exact miss the engine starts at once and the semantic lookup races it:
    the lookup wins if it answers before the engine's first output plus ``max_hold_ms`` (0: no delay
    for misses); otherwise the engine's answer streams and a late hit is ignored.
    ``target_precision`` (at construction) picks both thresholds instead: the measured operating point
    for the smallest tabulated precision >= it (``OPERATING_POINTS``), and ``calibration_file`` the
    point ``enhanced-vllm calibrate`` chose on your own labelled pairs.
    """

    model_config = _settings("SIMILARITY")

    @model_validator(mode="before")
    @classmethod
    def _thresholds_from_target(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        given = [name for name in ("target_precision", "calibration_file") if data.get(name) is not None]
        if not given:
            return data
        if len(given) > 1 or {"similarity_threshold", "short_question_threshold"} & data.keys():
            raise ValueError("give one of target_precision, calibration_file or the thresholds")
        if given == ["target_precision"]:
            threshold, short = thresholds_for_precision(data["target_precision"])
        else:
            threshold, short = read_calibration(data["calibration_file"])
        return {**data, "similarity_threshold": threshold, "short_question_threshold": short}

    # pick both thresholds from the measured operating points (0.85, 0.88, 0.90, 0.92, 0.95)
    target_precision: float | None = Field(default=None, ge=0, le=1)
    # written by `enhanced-vllm calibrate --write FILE`: the thresholds calibrated on your labelled pairs
    calibration_file: Path | None = None

    # False: no semantic stage and no similar-question search
    enable_vector_search: bool = True
    # cosine a stored question needs before the guard is asked
    similarity_threshold: float = Field(default=0.8, ge=0, le=1)
    # cosine a match needs when either question is short; None: off
    short_question_threshold: float | None = Field(default=0.93, ge=0, le=1)
    # fewer words than this make a question short
    short_question_words: int = Field(default=8, gt=0)
    # nearest stored questions considered per lookup
    max_similar_results: int = Field(default=5, gt=0)
    context_threshold: float = Field(default=0.6, ge=0, le=1)  # similar Q&A added as context
    # the embedding model's dimension (checked at start)
    vector_dimension: int = Field(default=384, gt=0)
    embedding_model: str | None = None  # None: bundled all-MiniLM-L6-v2
    # torch CPU threads of this process (embedding is its only torch work), on a CPU or a GPU embedder: 1
    # leaves the other cores to the engine; on a 2-core machine it cut the semantic hit from ~53 to ~36 ms.
    # None: torch's default.
    embedding_threads: int | None = Field(default=1, ge=1)
    # auto: bfloat16 where the hardware has native bf16 (same dev-set hits, embedding ~13 -> ~8 ms here)
    embedding_dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    # auto: the GPU when torch sees one (it shares it with the engine: ~100 MB), else the CPU
    embedding_device: str = Field(default="auto", min_length=1)
    # answers waiting to be written to the semantic store; past it a store is skipped and counted
    max_pending_stores: int = Field(default=4096, gt=0)
    # the false-hit guard (numbers, negation, entities, antonyms, direction); keep it on
    enable_guard: bool = True
    # how long a miss waits past the engine's first output for a late semantic hit
    max_hold_ms: float = Field(default=0.0, ge=0)
    # persistent (a folder), ephemeral (in memory) or http (a Chroma server: shared)
    chroma_mode: Literal["persistent", "ephemeral", "http"] = "persistent"
    # the persistent store's folder
    chroma_path: Path = Path.home() / ".cache" / "enhanced_vllm" / "chroma"
    # the Chroma server in http mode
    chroma_host: str = "127.0.0.1"
    # the Chroma server's port in http mode
    chroma_port: int = Field(default=8000, gt=0, lt=65536)
    # the Chroma collection
    collection_name: str = Field(default="enhanced_vllm_semantic", min_length=3, max_length=512)
    # seconds a semantic entry lives
    ttl: float = Field(default=7 * 24 * 3600, gt=0)
    # entries kept; the oldest are dropped past it
    max_entries: int = Field(default=100_000, gt=0)


class FeaturesConfig(_Validated, BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # NLTK analysis beside generation (conjunctions, sub-questions) in the metadata
    enable_nlp_enhancement: bool = True
    # the semantic stage and similar questions in the metadata
    enable_similarity_search: bool = True
    # the exact levels (memory, Redis) and single-flight
    enable_caching: bool = True
    # accepted for the original design's configs; has no effect
    enable_detailed_logging: bool = False
    enable_context_enhancement: bool = False  # opt-in: adds similar past Q&A to the prompt


class NLPConfig(_Validated, BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    max_concurrent_tasks: int = Field(default=1, gt=0)  # analysis processes (out of the engine's GIL)
    max_pending_tasks: int = Field(default=1024, gt=0)  # queued analyses; past it one is skipped and counted


_FLAT_FEATURES = {"cache_enabled": "enable_caching", "nlp_enabled": "enable_nlp_enhancement"}


class HandlerConfig(_Validated, BaseSettings):
    """Which pipeline features run. The original flat keywords ``cache_enabled`` and
    ``nlp_enabled`` are accepted and map onto ``features``."""

    model_config = _settings("HANDLER")

    # the model name reported in outputs and stats; None: the engine's
    model_name: str | None = None
    # which stages run (`FeaturesConfig` below)
    features: FeaturesConfig = Field(default_factory=FeaturesConfig)
    # the analysis workers (`NLPConfig` below)
    nlp: NLPConfig = Field(default_factory=NLPConfig)

    @model_validator(mode="before")
    @classmethod
    def _fold_flat_keywords(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not _FLAT_FEATURES.keys() & data.keys():
            return data
        data = dict(data)
        features = data.get("features") or {}
        features = features.model_dump() if isinstance(features, BaseModel) else dict(features)
        for flat, nested in _FLAT_FEATURES.items():
            if (value := data.pop(flat, None)) is not None:
                features[nested] = value
        data["features"] = features
        return data

    @property
    def cache_enabled(self) -> bool:
        return self.features.enable_caching

    @property
    def nlp_enabled(self) -> bool:
        return self.features.enable_nlp_enhancement
