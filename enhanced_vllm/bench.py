"""The cache benchmark: one engine, one run, EnhancedAsyncLLM measured beside plain AsyncLLM.

The product side calls ``EnhancedAsyncLLM.add_request`` (the pipeline), the plain side
``AsyncLLM.add_request`` on the same engine object (skipping it); both drain the returned collector
exactly like ``AsyncLLM.generate`` does, so only the pipeline differs (``generate()``'s own layer costs
either engine the same). The two sides alternate within each round.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from typing import Any

from vllm import SamplingParams
from vllm.sampling_params import RequestOutputKind
from vllm.v1.engine.async_llm import AsyncLLM

from enhanced_vllm.config import CacheConfig, CacheType, HandlerConfig, SimilarityConfig, VLLMConfig
from enhanced_vllm.engine import EnhancedAsyncLLM
from enhanced_vllm.local_redis import LocalRedisServer
from enhanced_vllm.progress import progress

LATENCY_PROMPTS = 20
THROUGHPUT_BATCH = 16
BURST = 32


def _prompt(tag: str) -> str:
    return f"Write a short paragraph about the history of bridge number {tag}:"


def _ms_p50(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 4)


async def _drain(queue: Any) -> Any:
    """The final output, read as ``AsyncLLM.generate`` reads its collector."""
    finished = False
    while not finished:
        output = queue.get_nowait() or await queue.get()
        finished = output.finished
    return output


async def _enhanced(llm: EnhancedAsyncLLM, prompt: str, params: SamplingParams) -> Any:
    return await _drain(await llm.add_request(uuid.uuid4().hex, prompt, params))


async def _plain(llm: EnhancedAsyncLLM, prompt: str, params: SamplingParams) -> Any:
    return await _drain(await AsyncLLM.add_request(llm, uuid.uuid4().hex, prompt, params))


async def _timed(call, *args) -> float:
    started = time.perf_counter()
    await call(*args)
    return time.perf_counter() - started


async def _throughput(llm: EnhancedAsyncLLM, call, params: SamplingParams, batch: int = THROUGHPUT_BATCH) -> float:
    """Generated tokens per second for one concurrent batch of ``batch`` unique prompts."""
    prompts = [_prompt(uuid.uuid4().hex[:8]) for _ in range(batch)]
    started = time.perf_counter()
    outputs = await asyncio.gather(*(call(llm, p, params) for p in prompts))
    elapsed = time.perf_counter() - started
    return sum(len(o.outputs[0].token_ids) for o in outputs) / elapsed


def describe_engine(llm: EnhancedAsyncLLM) -> dict[str, str]:
    """Where a figure was measured: the device, vLLM's version and the engine's dtype."""
    import vllm
    from vllm.platforms import current_platform

    device = "cpu" if current_platform.is_cpu() else current_platform.get_device_name()
    dtype = str(llm.model_config.dtype).removeprefix("torch.")
    return {"device": device, "vllm_version": vllm.__version__, "dtype": dtype}


async def run_cache_bench(rounds: int = 3, dtype: str = "auto") -> dict[str, Any]:
    """``dtype`` is the engine's (auto: the default, see ``VLLMConfig``)."""
    with LocalRedisServer() as redis_server:
        config = CacheConfig(cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix="bench")
        exact_only = HandlerConfig(features={"enable_similarity_search": False})
        engine_args = VLLMConfig(engine_args={"dtype": dtype}).to_engine_args()
        llm = EnhancedAsyncLLM.from_engine_args(engine_args, cache_config=config, handler_config=exact_only)
        try:
            return {**describe_engine(llm), **await _measure(llm, max(3, rounds))}
        finally:
            await llm.cleanup()


async def _measure(llm: EnhancedAsyncLLM, rounds: int) -> dict[str, Any]:
    """The figures of ``bench cache`` on ``llm`` (also called so by the GPU pack's script)."""
    with progress(total=rounds + 3, desc="bench cache", unit="step") as bar:
        return await _measure_steps(llm, rounds, bar)


async def _measure_steps(llm: EnhancedAsyncLLM, rounds: int, bar: Any) -> dict[str, Any]:
    params = SamplingParams(temperature=0, max_tokens=32, ignore_eos=True)
    await _throughput(llm, _plain, params)  # warm-up

    prompts = [_prompt(f"latency-{i}-{uuid.uuid4().hex[:6]}") for i in range(LATENCY_PROMPTS)]
    miss = [await _timed(_enhanced, llm, p, params) for p in prompts]
    await llm.flush_cache_writes()
    l1_hit = [await _timed(_enhanced, llm, p, params) for p in prompts]
    redis_hit = []
    for p in prompts:
        llm.memory.clear()
        redis_hit.append(await _timed(_enhanced, llm, p, params))
    levels_seen = dict(llm.stats.hits)
    bar.update()

    # The cache pipeline's own cost (NLP off) against plain AsyncLLM, alternating order; then NLP on
    # against off, alternating; plain vs all features follows from the two.
    with_nlp = llm.handler_config
    without_nlp = with_nlp.model_copy(
        update={"features": with_nlp.features.model_copy(update={"enable_nlp_enhancement": False})}
    )
    enhanced_tps, plain_tps, nlp_on, nlp_off = [], [], [], []
    for i in range(rounds):
        llm.handler_config = without_nlp
        for samples, call in ((enhanced_tps, _enhanced), (plain_tps, _plain))[:: 1 if i % 2 else -1]:
            samples.append(await _throughput(llm, call, params))
        for samples, config in ((nlp_on, with_nlp), (nlp_off, without_nlp))[:: 1 if i % 2 else -1]:
            llm.handler_config = config
            samples.append(await _throughput(llm, _enhanced, params))
        bar.update()
    llm.handler_config = with_nlp

    burst_params = SamplingParams(temperature=0, max_tokens=32, output_kind=RequestOutputKind.DELTA)
    before = llm.stats.events["engine_requests"]
    burst_prompt = _prompt(f"burst-{uuid.uuid4().hex[:6]}")
    await asyncio.gather(*(_enhanced(llm, burst_prompt, burst_params) for _ in range(BURST)))
    burst_engine_requests = llm.stats.events["engine_requests"] - before
    bar.update()

    miss_p50, l1_p50 = _ms_p50(miss), _ms_p50(l1_hit)
    semantic = await _measure_semantic(llm, params, rounds)
    bar.update()
    if "semantic_hit_ms_p50" in semantic:
        semantic["semantic_time_saved"] = round(1 - semantic["semantic_hit_ms_p50"] / miss_p50, 5)
    return {
        "model": llm.model_config.model,
        "max_tokens": params.max_tokens,
        "rounds": rounds,
        "miss_ms_p50": miss_p50,
        "l1_hit_ms_p50": l1_p50,
        "redis_hit_ms_p50": _ms_p50(redis_hit),
        "l1_time_saved": round(1 - l1_p50 / miss_p50, 5),
        "miss_throughput_ratio": round(sum(enhanced_tps) / sum(plain_tps), 4),
        "enhanced_tokens_per_s": [round(x, 1) for x in enhanced_tps],
        "plain_tokens_per_s": [round(x, 1) for x in plain_tps],
        "burst_engine_requests": burst_engine_requests,
        "nlp_throughput_ratio": round(sum(nlp_on) / sum(nlp_off), 4),
        "all_features_throughput_ratio": round(sum(nlp_on) / sum(plain_tps), 4),
        "hits_by_level": levels_seen,
        **semantic,
    }


async def _ttft(llm: EnhancedAsyncLLM, prompt: str, params: SamplingParams) -> float:
    started = time.perf_counter()
    stream = llm.generate(prompt, params, uuid.uuid4().hex)
    await stream.__anext__()
    elapsed = time.perf_counter() - started
    async for _ in stream:
        pass
    return elapsed


async def _measure_semantic(llm: EnhancedAsyncLLM, params: SamplingParams, rounds: int) -> dict[str, Any]:
    """Paraphrase hits served by the semantic stage, and what racing it costs a miss's TTFT."""
    exact_only = llm.handler_config
    with tempfile.TemporaryDirectory() as chroma_dir:
        similarity = SimilarityConfig(chroma_path=chroma_dir)
        llm.configure(llm.cache_config, HandlerConfig(), similarity)
        if llm.semantic is None:
            llm.configure(llm.cache_config, exact_only)
            return {"semantic": f"unavailable: {llm.semantic_error or 'the semantic stage did not start'}"}
        pairs = [
            (f"How do I learn the {t} language quickly?", f"How can I learn the {t} language quickly?")
            for t in (f"zx{uuid.uuid4().hex[:4]}" for _ in range(LATENCY_PROMPTS))
        ]
        for question, _ in pairs:
            await _enhanced(llm, question, params)
        await llm.flush_cache_writes()
        semantic_hit, levels = [], []
        for _, paraphrase in pairs:
            started = time.perf_counter()
            output = await _enhanced(llm, paraphrase, params)
            semantic_hit.append(time.perf_counter() - started)
            levels.append(output.metadata["cache_level"])
        await llm.flush_cache_writes()
        signature = llm.keys.build(pairs[0][1], params).signature
        # the lookup alone, on questions not embedded yet (the stage reuses recent embeddings)
        rephrased = [paraphrase.replace("How can I", "How should I") for _, paraphrase in pairs]
        lookups = [await _timed(llm.semantic.lookup, question, signature) for question in rephrased]

        stream_params = SamplingParams(
            temperature=0, max_tokens=8, ignore_eos=True, output_kind=RequestOutputKind.DELTA
        )
        ttft_on, ttft_off = [], []
        stage = llm.semantic  # same engine and caches; only the semantic race is switched off and on
        for i in range(rounds * 8):
            for samples, semantic in ((ttft_on, stage), (ttft_off, None))[:: 1 if i % 2 else -1]:
                llm.semantic = semantic
                samples.append(await _ttft(llm, _prompt(f"ttft-{uuid.uuid4().hex[:8]}"), stream_params))
                await llm.flush_cache_writes()
        llm.semantic = stage
    llm.configure(llm.cache_config, exact_only)
    semantic_p50 = _ms_p50(semantic_hit)
    return {
        "semantic_hit_ms_p50": semantic_p50,
        "semantic_hits": f"{levels.count('semantic')}/{len(levels)}",
        "semantic_lookup_ms_p50": _ms_p50(lookups),
        "semantic_miss_ttft_ratio": round(statistics.median(ttft_on) / statistics.median(ttft_off), 4),
        "miss_ttft_ms_p50": {"semantic_on": _ms_p50(ttft_on), "semantic_off": _ms_p50(ttft_off)},
    }
