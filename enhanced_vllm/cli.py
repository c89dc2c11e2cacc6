"""``enhanced-vllm``: ``setup`` (the bundled model and NLTK data, where every entry point finds them),
``demo`` (a miss, then the exact hit, with timings), ``bench cache|langchain`` (benchmarks, one JSON
object each), ``eval paraphrase|decompose``."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time


def _quiet_vllm_logs() -> None:
    """vLLM logs to stdout by default; keep stdout for our output (and machine-readable JSON)."""
    os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.stderr")
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")


async def _demo(question: str) -> None:
    from vllm import SamplingParams

    from enhanced_vllm import EnhancedAsyncLLM

    print("Starting the engine on the bundled model (about 20 s on CPU)...", flush=True)
    llm = EnhancedAsyncLLM()
    try:
        prompt = llm.tokenizer.apply_chat_template(
            [{"role": "user", "content": question}], tokenize=False, add_generation_prompt=True
        )
        params = SamplingParams(temperature=0, max_tokens=48)
        print(f"\nQuestion: {question}")
        for attempt in ("first request (miss)", "same request again (exact hit)"):
            started = time.perf_counter()
            output = [o async for o in llm.generate_enhanced(prompt, params)][-1]
            elapsed_ms = (time.perf_counter() - started) * 1000
            meta = {k: v for k, v in output.metadata.items() if k != "processing_time"}
            print(f"\n== {attempt}: {elapsed_ms:.2f} ms")
            print(f"   answer:   {output.text.strip()}")
            print(f"   metadata: {json.dumps(meta)}")
        print(f"\nstats: {json.dumps(llm.stats.snapshot())}")
    finally:
        await llm.cleanup()


def _setup() -> None:
    from enhanced_vllm.models import ensure_default_model, models_root
    from enhanced_vllm.nlp.resources import prepare_wordnet

    print(f"[setup] set-up artifacts live in {models_root()}")
    print(f"[setup] default model ready at {ensure_default_model()}")
    print(f"[setup] wordnet ready at {prepare_wordnet()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="enhanced-vllm", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="convert the bundled model and prepare NLTK data (idempotent)")
    demo = commands.add_parser("demo", help="a miss, then the exact hit of the same prompt")
    demo.add_argument("--question", default="What is the capital of France?")
    bench = commands.add_parser("bench", help="benchmarks that print JSON")
    bench.add_argument("suite", choices=["cache", "langchain"])
    bench.add_argument("--json", action="store_true", help="print only the JSON object")
    bench.add_argument("--rounds", type=int, default=3)
    bench.add_argument("--dtype", default="auto", help="the engine's dtype (auto: float32 on CPU)")
    evaluate = commands.add_parser("eval", help="evaluation on JSONL data; prints one JSON object")
    evaluate.add_argument("task", choices=["paraphrase", "decompose"])
    evaluate.add_argument("--data", required=True)
    evaluate.add_argument("--predictions", help="write one JSONL row per input here")
    evaluate.add_argument("--json", action="store_true", help="print compact JSON")
    args = parser.parse_args(argv)

    _quiet_vllm_logs()
    if args.command == "setup":
        _setup()
    elif args.command == "demo":
        asyncio.run(_demo(args.question))
    elif args.command == "eval":
        from enhanced_vllm.eval import run_decompose_eval, run_paraphrase_eval

        run = run_paraphrase_eval if args.task == "paraphrase" else run_decompose_eval
        result = run(args.data, args.predictions)
        print(json.dumps(result, indent=None if args.json else 2))
    elif args.suite == "langchain":
        from langchain_enhanced_vllm.bench import run_langchain_bench  # extra [langchain]

        print(json.dumps(run_langchain_bench(), indent=None if args.json else 2))
    else:
        from enhanced_vllm.bench import run_cache_bench

        result = asyncio.run(run_cache_bench(rounds=args.rounds, dtype=args.dtype))
        print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
