"""The miss-path concurrency sweep: product vs plain ``AsyncLLM`` tokens/s on the same engine, per
concurrency and pipeline configuration, with a bootstrap interval so that 0.97 can be told from 1.0.

For each configuration and concurrency C: one warm-up batch per side, then ``rounds`` rounds of C
unique prompts at once (``ignore_eos``, ``tokens`` each) through ``EnhancedAsyncLLM.add_request`` and
through ``AsyncLLM.add_request`` on the same engine object, the two sides alternating order. The
ratio is sum(product) / sum(plain) over the rounds; its 95 % interval resamples the paired rounds.
Each configuration also reports, per side, the event loop's lag and the busiest threads' CPU time
(``enhanced_vllm.loopwatch``); the ``VARIANTS`` take the default pipeline apart to find a gap's cause.
"""

from __future__ import annotations

import random
import statistics
import tempfile
from typing import Any

from vllm import SamplingParams

from enhanced_vllm.bench import _enhanced, _plain, _throughput, describe_engine
from enhanced_vllm.config import HandlerConfig, SimilarityConfig, VLLMConfig
from enhanced_vllm.engine import EnhancedAsyncLLM
from enhanced_vllm.errors import ConfigError
from enhanced_vllm.loopwatch import LoopWatch
from enhanced_vllm.progress import progress

CONFIGS = {
    "exact": HandlerConfig(features={"enable_similarity_search": False, "enable_nlp_enhancement": False}),
    "all_features": HandlerConfig(),  # NLP on, the semantic stage racing every miss
}
# diagnostics, by name: (handler config, SimilarityConfig fields)
VARIANTS: dict[str, tuple[HandlerConfig, dict[str, Any]]] = {
    "nlp_only": (HandlerConfig(features={"enable_similarity_search": False}), {}),
    "semantic_only": (HandlerConfig(features={"enable_nlp_enhancement": False}), {}),
    "all_features_cpu_embedding": (HandlerConfig(), {"embedding_device": "cpu"}),
}
BOOTSTRAP_RESAMPLES = 2000
SHED_EVENTS = ("nlp_inline", "nlp_skipped", "semantic_store_skipped")  # reported per row: work moved or dropped


def ratio_interval(product: list[float], plain: list[float], seed: int = 0) -> tuple[float, float, float]:
    """sum(product) / sum(plain) and a 95 % bootstrap interval over the paired rounds."""
    pairs = list(zip(product, plain, strict=True))
    rng = random.Random(seed)
    ratios = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        sample = [rng.choice(pairs) for _ in pairs]
        ratios.append(sum(p for p, _ in sample) / sum(q for _, q in sample))
    ratios.sort()
    low, high = ratios[int(0.025 * len(ratios))], ratios[int(0.975 * len(ratios)) - 1]
    return sum(product) / sum(plain), low, high


def bench_engine_args(
    model: str | None = None, load_format: str | None = None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``VLLMConfig.engine_args`` of a benchmark engine: ``extra`` (any vLLM engine argument, e.g.
    ``tensor_parallel_size``) over the model and load format."""
    engine_args: dict[str, Any] = {"model": model, **(extra or {})}
    if load_format:
        engine_args["load_format"] = load_format
    return engine_args


def bench_engine(
    model: str | None = None, load_format: str | None = None, extra: dict[str, Any] | None = None
) -> EnhancedAsyncLLM:
    """A fresh engine for a benchmark (``model`` None: the bundled one; ``load_format="dummy"``:
    random weights of the model's shape; ``extra``: more engine arguments), exact levels only until
    a configuration is chosen."""
    config = VLLMConfig(engine_args=bench_engine_args(model, load_format, extra))
    return EnhancedAsyncLLM.from_engine_args(config.to_engine_args(), handler_config=CONFIGS["exact"])


def _config(name: str) -> tuple[HandlerConfig, dict[str, Any]]:
    if name in CONFIGS:
        return CONFIGS[name], {}
    if name in VARIANTS:
        return VARIANTS[name]
    raise ConfigError(f"unknown sweep configuration {name!r}; known: {', '.join([*CONFIGS, *VARIANTS])}")


async def sweep(
    llm: EnhancedAsyncLLM, concurrencies: list[int], tokens: int, rounds: int, configs: list[str] | None = None
) -> list[dict[str, Any]]:
    """One row per concurrency: each configuration's ratio with its interval, the raw rounds and
    where the loop's time went (``configs``: names in CONFIGS or VARIANTS; default CONFIGS)."""
    params = SamplingParams(temperature=0, max_tokens=tokens, ignore_eos=True)
    model = llm.model_config.model
    rows = [{"model": model, "concurrency": c, "tokens": tokens, "rounds": rounds} for c in concurrencies]
    cache_config = llm.cache_config
    names = configs or list(CONFIGS)
    bar = progress(total=len(names) * len(rows), desc="sweep", unit="point")
    with tempfile.TemporaryDirectory() as chroma_dir, bar:
        for name in names:
            handler_config, similarity = _config(name)
            llm.configure(cache_config, handler_config, SimilarityConfig(chroma_path=chroma_dir, **similarity))
            for row in rows:
                bar.set_postfix_str(f"{name} at concurrency {row['concurrency']}")
                concurrency = row["concurrency"]
                for call in (_plain, _enhanced):  # warm-up
                    await _throughput(llm, call, params, concurrency)
                product, plain = [], []
                watches = {"product": LoopWatch(), "plain": LoopWatch()}
                events_before = dict(llm.stats.events)
                for i in range(rounds):
                    for side, samples, call in (("product", product, _enhanced), ("plain", plain, _plain))[
                        :: 1 if i % 2 else -1
                    ]:
                        async with watches[side].measure():
                            samples.append(await _throughput(llm, call, params, concurrency))
                    await llm.flush_cache_writes()
                ratio, low, high = ratio_interval(product, plain)
                row.update(
                    {
                        f"{name}_ratio": round(ratio, 4),
                        f"{name}_ratio_low": round(low, 4),
                        f"{name}_ratio_high": round(high, 4),
                        f"{name}_tokens_per_s": [round(x, 1) for x in product],
                        f"{name}_plain_tokens_per_s": [round(x, 1) for x in plain],
                        f"{name}_loop": {side: watch.summary() for side, watch in watches.items()},
                        f"{name}_events": {
                            event: llm.stats.events[event] - events_before.get(event, 0) for event in SHED_EVENTS
                        },
                    }
                )
                bar.update()
    llm.configure(cache_config, CONFIGS["exact"])
    return rows


async def run_sweep_bench(
    concurrencies: list[int],
    tokens: int,
    rounds: int,
    model: str | None = None,
    load_format: str | None = None,
    reuse_fractions: tuple[float, ...] = (),
    reuse_concurrency: int = 64,
    reuse_rounds: int | None = None,
    configs: list[str] | None = None,
    engine_args: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The sweep on a fresh engine (``model`` None: the bundled one; ``load_format="dummy"``: random
    weights of the model's shape; ``engine_args``: more engine arguments, e.g. tensor or data
    parallel, for the product and plain AsyncLLM alike: they share the engine), memory cache only;
    then the semantic race (paraphrase hits with ``max_hold_ms`` 0, the lookup's time, a miss's TTFT
    with and without it) and, for each of ``reuse_fractions``, the duplicate and paraphrase workloads
    (``enhanced_vllm.workloads``)."""
    from enhanced_vllm.bench import _measure_semantic
    from enhanced_vllm.workloads import reuse_rows

    llm = bench_engine(model, load_format, engine_args)
    try:
        rows = await sweep(llm, concurrencies, tokens, rounds, configs)
        semantic = await _measure_semantic(llm, SamplingParams(temperature=0, max_tokens=32, ignore_eos=True), rounds)
        reuse = []
        if reuse_fractions:
            with tempfile.TemporaryDirectory() as chroma_dir:
                llm.configure(llm.cache_config, CONFIGS["all_features"], SimilarityConfig(chroma_path=chroma_dir))
                for paraphrased in (False, True):
                    reuse += await reuse_rows(
                        llm, list(reuse_fractions), reuse_concurrency, tokens, reuse_rounds or rounds, paraphrased
                    )
                llm.configure(llm.cache_config, CONFIGS["exact"])
    finally:
        await llm.cleanup()
    return {
        **describe_engine(llm),
        "engine_args": engine_args or {},
        "semantic_hits": semantic.get("semantic_hits"),
        "semantic_lookup_ms_p50": semantic.get("semantic_lookup_ms_p50"),
        "miss_ttft_ratio": semantic.get("semantic_miss_ttft_ratio"),
        "semantic": semantic,
        "sweep": rows,
        "reuse": reuse,
    }


def plot_sweep(result: dict[str, Any], path: str) -> None:
    """A PNG of median tokens/s against concurrency: each configuration beside plain ``AsyncLLM``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["sweep"]
    concurrency = [row["concurrency"] for row in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    names = [key.removesuffix("_plain_tokens_per_s") for key in rows[0] if key.endswith("_plain_tokens_per_s")]
    for name in names:
        for key, label, style in ((f"{name}_tokens_per_s", name, "-o"), (f"{name}_plain_tokens_per_s", "plain", ":x")):
            ax.plot(concurrency, [statistics.median(row[key]) for row in rows], style, label=f"{label} ({name} run)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(concurrency, [str(c) for c in concurrency])
    ax.set_xlabel("concurrent requests")
    ax.set_ylabel("tokens/s (median of rounds)")
    ax.set_title(f"{rows[0]['model'].rsplit('/', 1)[-1]} on {result['device']}, vLLM {result['vllm_version']}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
