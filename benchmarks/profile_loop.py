"""Where the event loop's time goes under load: cProfile while C unique requests run
through the product (all default features) and through plain ``AsyncLLM`` on the same engine.

Usage: python benchmarks/profile_loop.py [--conc 256] [--tokens 128] [--batches 3] [--top 25]
                                        [--config all_features|exact] [--model M [--load-format dummy]]
Prints one JSON object: per side, wall seconds, tokens/s, the event loop's lag (how late a 1 ms
timer fires) with the busiest threads' CPU time, and the top functions by own time (on Python 3.12
cProfile's monitoring covers every thread: the stage's worker threads show up in the list too).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import tempfile
import time

from vllm import SamplingParams

from enhanced_vllm.bench import _enhanced, _plain, _throughput, describe_engine
from enhanced_vllm.config import SimilarityConfig
from enhanced_vllm.loopwatch import LoopWatch
from enhanced_vllm.sweep import CONFIGS, bench_engine


def _top(profile: cProfile.Profile, count: int) -> list[dict]:
    stats = pstats.Stats(profile).stats  # {(file, line, name): (calls, ncalls, tottime, cumtime, callers)}
    rows = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:count]
    return [
        {"function": f"{file.rsplit('/', 2)[-2:]}:{line} {name}", "calls": n, "tottime_s": round(own, 4)}
        for (file, line, name), (_, n, own, _, _) in rows
    ]


async def main(
    concurrency: int, tokens: int, batches: int, top: int, config: str, model: str | None, load_format: str | None
) -> dict:
    llm = bench_engine(model, load_format)
    params = SamplingParams(temperature=0, max_tokens=tokens, ignore_eos=True)
    result = {**describe_engine(llm), "config": config, "concurrency": concurrency, "tokens": tokens}
    try:
        with tempfile.TemporaryDirectory() as chroma_dir:
            llm.configure(llm.cache_config, CONFIGS[config], SimilarityConfig(chroma_path=chroma_dir))
            for call in (_plain, _enhanced):  # warm-up
                await _throughput(llm, call, params, concurrency)
            for name, call in (("plain", _plain), ("product", _enhanced)):
                watch = LoopWatch()
                profile = cProfile.Profile()
                started = time.perf_counter()
                profile.enable()
                async with watch.measure():
                    rates = [await _throughput(llm, call, params, concurrency) for _ in range(batches)]
                profile.disable()
                await llm.flush_cache_writes()
                result[name] = {
                    "wall_s": round(time.perf_counter() - started, 3),
                    "tokens_per_s": [round(r, 1) for r in rates],
                    "loop": watch.summary(),
                    "top": _top(profile, top),
                }
    finally:
        await llm.cleanup()
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conc", type=int, default=256)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--config", choices=sorted(CONFIGS), default="all_features")
    parser.add_argument("--model", help="default: the bundled model")
    parser.add_argument("--load-format", help="e.g. dummy (random weights of the model's shape)")
    args = parser.parse_args()
    result = main(args.conc, args.tokens, args.batches, args.top, args.config, args.model, args.load_format)
    print(json.dumps(asyncio.run(result)))
