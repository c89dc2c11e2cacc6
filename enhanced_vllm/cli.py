"""The ``enhanced-vllm`` command: one sub-command per job, each with its own ``--help``."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from typing import Any

DESCRIPTION = """\
enhanced-vllm: vLLM's AsyncLLM with an exact cache (memory, Redis), a semantic cache (Chroma) with a
guard against near-misses, shared in-flight generations and NLTK question analysis.

Every command that starts an engine uses the bundled model unless told otherwise, and the stores
that the environment's configuration names (ENHANCED_VLLM_*; see `enhanced-vllm docs`). Results
are printed on stdout (JSON where said); progress bars and vLLM's logs go to stderr."""

EPILOG = """\
examples:
  enhanced-vllm setup                      # once: the bundled model and NLTK data
  enhanced-vllm demo                       # the pipeline in one short walkthrough
  enhanced-vllm eval decompose --data ../shared/data/decompose_dev.jsonl --json
  enhanced-vllm cache import faq.jsonl     # warm the caches from question/answer rows
  enhanced-vllm bench sweep --conc 16,64 --json > sweep.json

`enhanced-vllm COMMAND --help` (and `enhanced-vllm COMMAND SUB --help`) tells more."""

Handler = Callable[[argparse.Namespace], int]


def _quiet_vllm_logs() -> None:
    """vLLM logs to stdout by default; keep stdout for our output (and machine-readable JSON)."""
    os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.stderr")
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")


def _print_json(result: Any, compact: bool) -> int:
    print(json.dumps(result, indent=None if compact else 2))
    return 0


def _setup(args: argparse.Namespace) -> int:
    from enhanced_vllm.models import ensure_default_model, models_root
    from enhanced_vllm.nlp.resources import prepare_wordnet

    print(f"[setup] set-up artifacts live in {models_root()}")
    print(f"[setup] default model ready at {ensure_default_model()}")
    print(f"[setup] wordnet ready at {prepare_wordnet()}")
    return 0


def _docs(args: argparse.Namespace) -> int:
    from enhanced_vllm.config_reference import reference_markdown

    print(reference_markdown(), end="")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from enhanced_vllm.demo import ENGINE_LOG, run_demo

    asyncio.run(run_demo(args.question, args.paraphrase, log=None if args.verbose else ENGINE_LOG))
    return 0


def _bench_cache(args: argparse.Namespace) -> int:
    from enhanced_vllm.bench import run_cache_bench

    return _print_json(asyncio.run(run_cache_bench(rounds=args.rounds, dtype=args.dtype)), args.json)


def _bench_langchain(args: argparse.Namespace) -> int:
    from langchain_enhanced_vllm.bench import run_langchain_bench  # extra [langchain]

    return _print_json(run_langchain_bench(), args.json)


def _bench_sweep(args: argparse.Namespace) -> int:
    from enhanced_vllm.sweep import plot_sweep, run_sweep_bench

    result = asyncio.run(
        run_sweep_bench(
            [int(c) for c in args.conc.split(",")],
            args.tokens,
            args.rounds,
            args.model,
            args.load_format,
            tuple(float(f) for f in args.reuse.split(",") if f),
            args.reuse_conc,
            args.reuse_rounds,
            args.configs.split(",") if args.configs else None,
            args.engine_args,
        )
    )
    if args.plot:
        plot_sweep(result, args.plot)
    return _print_json(result, args.json)


def _eval_paraphrase(args: argparse.Namespace) -> int:
    from enhanced_vllm.eval import run_paraphrase_eval

    result = run_paraphrase_eval(args.data, args.predictions, args.repeats, args.target_precision)
    return _print_json(result, args.json)


def _eval_decompose(args: argparse.Namespace) -> int:
    from enhanced_vllm.eval import run_decompose_eval

    return _print_json(run_decompose_eval(args.data, args.predictions), args.json)


def _eval_answers(args: argparse.Namespace) -> int:
    from enhanced_vllm.answers import run_answers_eval

    return _print_json(asyncio.run(run_answers_eval(args.dtype, args.model)), args.json)


def _cache(args: argparse.Namespace) -> int:
    from enhanced_vllm.cache.admin import run_cache_command

    file = getattr(args, "file", None)
    as_chat = getattr(args, "form", "chat") == "chat"
    tenant, dry_run = getattr(args, "tenant", None), getattr(args, "dry_run", False)
    return _print_json(asyncio.run(run_cache_command(args.action, file, tenant, as_chat, dry_run)), False)


def _calibrate(args: argparse.Namespace) -> int:
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
    return 0


def _command(
    group: Any,
    name: str,
    summary: str,
    run: Handler | None,
    details: str = "",
    epilog: str = "",
    json_flag: bool = False,
) -> argparse.ArgumentParser:
    """A sub-command: ``summary`` in its parent's list and, as a sentence followed by ``details``, atop
    its own help; ``run`` None for a group of sub-commands."""
    parser = group.add_parser(
        name,
        help=summary,
        description=f"{summary[0].upper()}{summary[1:]}." + (f"\n\n{details}" if details else ""),
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if run is not None:
        parser.set_defaults(run=run)
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print compact JSON (one line)")
    return parser


def _add_bench(commands: Any) -> None:
    group = _command(
        commands,
        "bench",
        "benchmarks: the product against plain AsyncLLM on the same engine; each prints one JSON object",
        None,
    ).add_subparsers(dest="suite", required=True, metavar="SUITE")
    cache = _command(
        group,
        "cache",
        "miss, memory-hit, Redis-hit and semantic-hit latency; the pipeline's throughput ratio",
        _bench_cache,
        "Miss and hit latency on each level (memory, Redis from its own redis-server, semantic), the\n"
        "pipeline's throughput against plain AsyncLLM on the same engine (rounds alternate the order),\n"
        "the NLP stage's cost, and a burst of identical requests that share one generation.",
        "example:\n  enhanced-vllm bench cache --json --rounds 5",
        json_flag=True,
    )
    cache.add_argument("--rounds", type=int, default=3, help="throughput rounds (at least 3; default 3)")
    cache.add_argument("--dtype", default="auto", help="the engine's dtype (see VLLMConfig; default auto)")
    _command(
        group,
        "langchain",
        "ChatEnhancedVLLM.invoke: first call, hit and the framework's own overhead",
        _bench_langchain,
        json_flag=True,
    )
    sweep = _command(
        group,
        "sweep",
        "tokens/s of the product against plain AsyncLLM across concurrencies, with bootstrap intervals",
        _bench_sweep,
        "For each pipeline configuration and concurrency: tokens/s of the product and of plain AsyncLLM\n"
        "on the same engine (rounds alternate the order), their ratio with a bootstrap interval, and\n"
        "where the event loop's time went; then the semantic race and, with --reuse, the duplicate and\n"
        "paraphrase workloads. Meant for a GPU (see docs/benchmarks.md).",
        "examples:\n"
        "  enhanced-vllm bench sweep --conc 16,64,256 --tokens 128 --rounds 6 --json\n"
        "  enhanced-vllm bench sweep --model /models/Qwen2.5-7B --load-format dummy \\\n"
        "      --engine-args '{\"tensor_parallel_size\": 2}' --plot sweep.png",
        json_flag=True,
    )
    sweep.add_argument("--conc", default="16,64", help="concurrencies, comma-separated (default 16,64)")
    sweep.add_argument("--tokens", type=int, default=128, help="output tokens per request (default 128)")
    sweep.add_argument("--rounds", type=int, default=3, help="rounds per point (default 3)")
    sweep.add_argument("--model", help="a model folder (default: the bundled model)")
    sweep.add_argument("--load-format", help="e.g. dummy: random weights of the model's shape")
    sweep.add_argument(
        "--engine-args",
        type=json.loads,
        help="more vLLM engine arguments as JSON, e.g. '{\"tensor_parallel_size\": 2}'",
    )
    sweep.add_argument("--configs", help="pipeline configurations (default exact,all_features; see sweep.VARIANTS)")
    sweep.add_argument("--plot", help="also write a PNG of tokens/s against concurrency here")
    sweep.add_argument("--reuse", default="", help="duplicate / paraphrase fractions, e.g. 0.25,0.5,0.75")
    sweep.add_argument("--reuse-conc", type=int, default=64, help="clients of the reuse workloads (default 64)")
    sweep.add_argument("--reuse-rounds", type=int, help="rounds of the reuse workloads (default --rounds)")


def _add_eval(commands: Any) -> None:
    group = _command(
        commands, "eval", "quality on labelled JSONL data; each prints one JSON object", None
    ).add_subparsers(dest="task", required=True, metavar="TASK")
    paraphrase = _command(
        group,
        "paraphrase",
        "the semantic cache on question pairs: precision, recall, the curve and a held-out estimate",
        _eval_paraphrase,
        "Each pair's q1 is stored, then q2 looked up, through the production semantic stage (embedder,\n"
        'guard, thresholds as configured) and through a fixed cosine baseline. Rows: {"q1", "q2",\n'
        '"label"} (1: same meaning). Prints precision / recall / false hits, the precision-recall curve\n'
        "of the threshold, and repeated 5-fold cross-validation of choosing the operating point.",
        "example:\n  enhanced-vllm eval paraphrase --data ../shared/data/paraphrase_dev.jsonl --json",
        json_flag=True,
    )
    paraphrase.add_argument("--data", required=True, help="JSONL pairs")
    paraphrase.add_argument("--predictions", help="write one JSONL row per pair (q1, q2, hit) here")
    paraphrase.add_argument(
        "--repeats", type=int, default=4, help="shuffles of the 5-fold held-out estimate (0: none; default 4)"
    )
    paraphrase.add_argument(
        "--target-precision",
        type=float,
        default=0.885,
        help="the precision the held-out estimate chooses for (default 0.885, which chose the shipped point)",
    )
    decompose = _command(
        group,
        "decompose",
        "the decomposer on compound questions: sub-question F1 with its interval, exact and count match",
        _eval_decompose,
        'Rows: {"question", "sub_questions"}. Prints the mean sub-question F1 (with a bootstrap\n'
        'interval), exact and count agreement, the per-question time, and a naive split on "and".',
        "example:\n  enhanced-vllm eval decompose --data ../shared/data/decompose_dev.jsonl --json",
        json_flag=True,
    )
    decompose.add_argument("--data", required=True, help="JSONL compound questions")
    decompose.add_argument("--predictions", help="write one JSONL row per question here")
    answers = _command(
        group,
        "answers",
        "greedy answers of the engine against transformers on the same weights",
        _eval_answers,
        "16 chat prompts through a fresh engine (memory cache only); the first 16 generated tokens of\n"
        "each must equal transformers' greedy output on the same weights, and known facts must appear.",
        "example:\n  enhanced-vllm eval answers --dtype bfloat16 --json",
        json_flag=True,
    )
    answers.add_argument("--dtype", default="auto", help="the engine's dtype (see VLLMConfig; default auto)")
    answers.add_argument("--model", help="a model folder (default: the bundled model)")


def _add_cache(commands: Any) -> None:
    group = _command(
        commands,
        "cache",
        "import, export, count or clear the entries of the configured stores; prints JSON",
        None,
        "Works on the stores the environment's configuration names (ENHANCED_VLLM_CACHE_*,\n"
        "ENHANCED_VLLM_SIMILARITY_*), through an engine on the configured model (~20 s to start on\n"
        "CPU): its tokenizer and chat template make the keys the application's requests will have.",
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    imported = _command(
        group,
        "import",
        "add question / answer rows to the exact and semantic levels",
        _cache,
        'Rows: {"question", "answer"} and optionally "tenant", "sampling", "metadata" (see\n'
        "docs/architecture.md). Rows already present are counted, not written twice; bad rows are\n"
        "reported with their line numbers and the rest imported.",
        "example:\n  enhanced-vllm cache import faq.jsonl --as prompt",
    )
    imported.add_argument("file", help="the JSONL file")
    imported.add_argument(
        "--as",
        dest="form",
        choices=["chat", "prompt"],
        default="chat",
        help="key each question as a one-message chat (as the adapters send it; default) or as a bare prompt",
    )
    exported = _command(group, "export", "write the live entries as JSONL rows that `cache import` reads", _cache)
    exported.add_argument("file", help="the JSONL file to write")
    _command(group, "stats", "count the entries of each level", _cache)
    cleared = _command(
        group,
        "clear",
        "retire every entry (a new epoch, in every process) or one tenant's",
        _cache,
        epilog="examples:\n  enhanced-vllm cache clear --dry-run\n  enhanced-vllm cache clear --tenant acme",
    )
    cleared.add_argument("--tenant", help="only this tenant's entries (default: retire every entry via the epoch)")
    cleared.add_argument("--dry-run", action="store_true", help="say what would go, delete nothing")


def _add_calibrate(commands: Any) -> None:
    calibrate = _command(
        commands,
        "calibrate",
        "choose the semantic thresholds on your own labelled pairs",
        _calibrate,
        "Finds the thresholds (general and short-question) with the most recall at the target precision\n"
        "on your pairs and prints the table; --write saves them for SimilarityConfig.calibration_file.",
        "example:\n  enhanced-vllm calibrate --data pairs.jsonl --target-precision 0.95 --write point.json",
    )
    calibrate.add_argument("--data", required=True, help='JSONL rows {"q1", "q2", "label"} (1: same meaning)')
    calibrate.add_argument("--target-precision", type=float, default=0.95, help="default 0.95")
    calibrate.add_argument("--write", help="save the chosen point here (SimilarityConfig.calibration_file)")
    calibrate.add_argument("--json", action="store_true", help="print one JSON object instead of the table")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line (the tests read every command's help from it)."""
    parser = argparse.ArgumentParser(
        prog="enhanced-vllm",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _command(
        commands,
        "setup",
        "convert the bundled model and prepare NLTK data (idempotent; `make setup` runs it)",
        _setup,
    )
    demo = _command(
        commands,
        "demo",
        "a miss, its exact hit, a paraphrase, a near-miss the guard refuses, a compound question",
        _demo,
        "A short walkthrough on the bundled model: each step with its answer, time and cache level.",
        'example:\n  enhanced-vllm demo --question "What is the capital of Spain?" \\\n'
        '      --paraphrase "Which city is the capital of Spain?"',
    )
    demo.add_argument("--question", default="What is the capital of France?", help="the first question")
    demo.add_argument("--paraphrase", default="What's the capital city of France?", help="the same, reworded")
    demo.add_argument("--verbose", action="store_true", help="vLLM's own log on stderr instead of a file")
    _add_bench(commands)
    _add_eval(commands)
    _add_cache(commands)
    _add_calibrate(commands)
    _command(
        commands,
        "docs",
        "print the configuration reference (every field and its environment variable), made from the code",
        _docs,
        epilog="example:\n  enhanced-vllm docs > docs/configuration.md",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _quiet_vllm_logs()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
