"""``enhanced-vllm``: ``setup`` (the bundled model and NLTK data, where every entry point finds them),
``demo`` (a miss, its exact hit, a paraphrase, a near-miss, a compound question, with timings),
``bench cache|langchain|sweep`` (benchmarks, one JSON object each), ``eval paraphrase|decompose|answers``,
``cache import|export|stats|clear`` (on the stores the environment's configuration names), ``calibrate``
(the semantic operating point on your pairs), ``docs`` (the configuration reference)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys


def _quiet_vllm_logs() -> None:
    """vLLM logs to stdout by default; keep stdout for our output (and machine-readable JSON)."""
    os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.stderr")
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")


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
    commands.add_parser("docs", help="print the configuration reference (docs/configuration.md), made from the code")
    demo = commands.add_parser(
        "demo", help="a miss, its exact hit, a paraphrase, a near-miss the guard refuses, a compound question"
    )
    demo.add_argument("--question", default="What is the capital of France?")
    demo.add_argument("--paraphrase", default="What's the capital city of France?")
    bench = commands.add_parser("bench", help="benchmarks that print JSON")
    bench.add_argument("suite", choices=["cache", "langchain", "sweep"])
    bench.add_argument("--json", action="store_true", help="print only the JSON object")
    bench.add_argument("--rounds", type=int, default=3)
    bench.add_argument("--dtype", default="auto", help="cache: the engine's dtype (see VLLMConfig)")
    bench.add_argument("--conc", default="16,64", help="sweep: concurrencies, comma-separated")
    bench.add_argument("--tokens", type=int, default=128, help="sweep: output tokens per request")
    bench.add_argument("--model", help="sweep: a model folder (default: the bundled model)")
    bench.add_argument("--load-format", help="sweep: e.g. dummy (random weights of the model's shape)")
    bench.add_argument(
        "--engine-args",
        type=json.loads,
        help="sweep: more vLLM engine arguments as JSON, e.g. '{\"tensor_parallel_size\": 2}'",
    )
    bench.add_argument(
        "--configs", help="sweep: pipeline configurations (default exact,all_features; diagnostics in sweep.VARIANTS)"
    )
    bench.add_argument("--plot", help="sweep: also write a PNG of tokens/s against concurrency here")
    bench.add_argument("--reuse", default="", help="sweep: duplicate/paraphrase fractions, e.g. 0.25,0.5,0.75")
    bench.add_argument("--reuse-conc", type=int, default=64, help="sweep: clients of the reuse workloads")
    bench.add_argument("--reuse-rounds", type=int, help="sweep: rounds of the reuse workloads (default --rounds)")
    cache = commands.add_parser("cache", help="import, export, count or clear cache entries; prints JSON")
    cache.add_argument("action", choices=["import", "export", "stats", "clear"])
    cache.add_argument("file", nargs="?", help="import / export: the JSONL file")
    cache.add_argument("--tenant", help="clear: only this tenant (default: retire every entry via the epoch)")
    cache.add_argument("--dry-run", action="store_true", help="clear: say what would go, delete nothing")
    cache.add_argument(
        "--as",
        dest="form",
        choices=["chat", "prompt"],
        default="chat",
        help="import: key each question as a one-message chat (as the adapters send it) or as a bare prompt",
    )
    calibrate = commands.add_parser("calibrate", help="choose the semantic thresholds on your labelled pairs")
    calibrate.add_argument("--data", required=True, help='JSONL rows {"q1", "q2", "label"} (1: same meaning)')
    calibrate.add_argument("--target-precision", type=float, default=0.95)
    calibrate.add_argument("--write", help="save the chosen point here (SimilarityConfig.calibration_file)")
    calibrate.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    evaluate = commands.add_parser("eval", help="evaluation on JSONL data; prints one JSON object")
    evaluate.add_argument("task", choices=["paraphrase", "decompose", "answers"])
    evaluate.add_argument("--data", help="JSONL data (paraphrase, decompose)")
    evaluate.add_argument("--dtype", default="auto", help="answers: the engine's dtype (see VLLMConfig)")
    evaluate.add_argument("--model", help="answers: a model folder (default: the bundled model)")
    evaluate.add_argument("--predictions", help="write one JSONL row per input here")
    evaluate.add_argument(
        "--repeats", type=int, default=4, help="paraphrase: shuffles of the 5-fold held-out estimate (0: none)"
    )
    evaluate.add_argument(
        "--target-precision",
        type=float,
        default=0.885,
        help="paraphrase: the choice precision of the held-out estimate (0.885 chose the shipped point)",
    )
    evaluate.add_argument("--json", action="store_true", help="print compact JSON")
    args = parser.parse_args(argv)

    _quiet_vllm_logs()
    if args.command == "setup":
        _setup()
    elif args.command == "docs":
        from enhanced_vllm.config_reference import reference_markdown

        print(reference_markdown(), end="")
    elif args.command == "demo":
        from enhanced_vllm.demo import run_demo

        asyncio.run(run_demo(args.question, args.paraphrase))
    elif args.command == "cache":
        from enhanced_vllm.cache.admin import run_cache_command

        if args.action in ("import", "export") and args.file is None:
            parser.error(f"cache {args.action} needs a FILE")
        result = asyncio.run(run_cache_command(args.action, args.file, args.tenant, args.form == "chat", args.dry_run))
        print(json.dumps(result, indent=2))
    elif args.command == "calibrate":
        from enhanced_vllm.eval import read_jsonl
        from enhanced_vllm.semantic.calibration import calibrate, table_text, write_calibration

        result = calibrate(read_jsonl(args.data), args.target_precision)
        print(json.dumps(result) if args.json else table_text(result))
        if args.write:
            if not result["reachable"]:
                print(f"nothing written: no point reaches precision {args.target_precision}", file=sys.stderr)
                return 1
            write_calibration(result, args.write)
            hint = f"start with ENHANCED_VLLM_SIMILARITY_CALIBRATION_FILE={args.write}"
            print(f"written to {args.write}: {hint}", file=sys.stderr)
    elif args.command == "eval" and args.task == "answers":
        from enhanced_vllm.answers import run_answers_eval

        print(json.dumps(asyncio.run(run_answers_eval(args.dtype, args.model)), indent=None if args.json else 2))
    elif args.command == "eval":
        from enhanced_vllm.eval import run_decompose_eval, run_paraphrase_eval

        if args.data is None:
            parser.error(f"eval {args.task} needs --data")
        if args.task == "paraphrase":
            result = run_paraphrase_eval(args.data, args.predictions, args.repeats, args.target_precision)
        else:
            result = run_decompose_eval(args.data, args.predictions)
        print(json.dumps(result, indent=None if args.json else 2))
    elif args.suite == "sweep":
        from enhanced_vllm.sweep import run_sweep_bench

        concurrencies = [int(c) for c in args.conc.split(",")]
        fractions = tuple(float(f) for f in args.reuse.split(",") if f)
        result = asyncio.run(
            run_sweep_bench(
                concurrencies,
                args.tokens,
                args.rounds,
                args.model,
                args.load_format,
                fractions,
                args.reuse_conc,
                args.reuse_rounds,
                args.configs.split(",") if args.configs else None,
                args.engine_args,
            )
        )
        if args.plot:
            from enhanced_vllm.sweep import plot_sweep

            plot_sweep(result, args.plot)
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
