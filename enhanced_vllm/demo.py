"""``enhanced-vllm demo``: the pipeline on the bundled model, one short step each — a miss, its exact
hit, a paraphrase served by the semantic stage, a near-miss the guard refuses (and why), and a
compound question decomposed and answered part by part — each with its time and cache level. vLLM's
own log goes to a file unless asked for."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from vllm import SamplingParams

from enhanced_vllm.config import SimilarityConfig
from enhanced_vllm.engine import EnhancedAsyncLLM
from enhanced_vllm.nlp.decomposer import decompose

QUESTION = "What is the capital of France?"
PARAPHRASE = "What's the capital city of France?"
# the same words in the other direction: cosine 0.998, and another question (the guard refuses it)
STORED_NEAR = "How long is the flight from London to New York?"
NEAR_MISS = "How long is the flight from New York to London?"
COMPOUND = "What is the capital of France and what is the capital of Japan?"
ENGINE_LOG = Path(tempfile.gettempdir()) / "enhanced-vllm-demo.log"


@contextlib.contextmanager
def _stderr_to(path: Path | None) -> Iterator[None]:
    """File descriptor 2 (this process's and the engine process's log) to ``path`` meanwhile; its
    last lines are shown if the walkthrough fails. ``None``: left as it is."""
    if path is None:
        yield
        return
    sys.stderr.flush()
    saved, failed = os.dup(2), False
    try:
        with path.open("w") as log:
            os.dup2(log.fileno(), 2)
            yield
    except BaseException:
        failed = True
        raise
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        if failed:
            print("".join(path.read_text(errors="replace").splitlines(keepends=True)[-40:]), file=sys.stderr)


async def _ask(llm: EnhancedAsyncLLM, question: str) -> tuple[str, dict, float]:
    started = time.perf_counter()
    params = SamplingParams(temperature=0, max_tokens=48)
    output = [o async for o in llm.chat([{"role": "user", "content": question}], params)][-1]
    elapsed_ms = (time.perf_counter() - started) * 1000
    await llm.flush_cache_writes()
    return output.outputs[0].text.strip(), output.metadata, elapsed_ms


def _show(step: str, question: str, answer: str, meta: dict, elapsed_ms: float, note: str = "") -> None:
    level = meta["cache_level"]
    source = "the engine" if level is None else f"the {level} cache"
    match = f", similarity {meta['similarity']:.3f} to {meta['matched_question']!r}" if "similarity" in meta else ""
    print(f"\n== {step}: {elapsed_ms:.1f} ms from {source} (cache level {level}{match}){note}")
    print(f"   question: {question}")
    print(f"   answer:   {answer}")


async def run_demo(question: str = QUESTION, paraphrase: str = PARAPHRASE, log: Path | None = ENGINE_LOG) -> None:
    """The walkthrough; vLLM's log goes to ``log`` (``None``: to stderr as usual)."""
    where = f"; vLLM's log: {log}" if log is not None else ""
    print(f"Starting the engine on the bundled model (about 20 s on CPU{where})...", flush=True)
    with _stderr_to(log):
        await _walkthrough(question, paraphrase)


async def _walkthrough(question: str, paraphrase: str) -> None:
    llm = EnhancedAsyncLLM(similarity_config=SimilarityConfig(chroma_mode="ephemeral"))
    try:
        for step, asked in (("a miss", question), ("the same again", question), ("a paraphrase", paraphrase)):
            _show(step, asked, *await _ask(llm, asked))
        await _ask(llm, STORED_NEAR)  # answered and stored, so that the next question has a near neighbour
        asked_at = time.time()
        answer, meta, elapsed_ms = await _ask(llm, NEAR_MISS)
        refused = [r for r in llm.semantic.telemetry.recent_rejections() if r["at"] >= asked_at]
        why = f"\n   the guard refused {refused[-1]['candidate']!r}: {refused[-1]['reason']}" if refused else ""
        _show("a near-miss", NEAR_MISS, answer, meta, elapsed_ms, why)
        parts = decompose(COMPOUND)
        print(f"\n== a compound question, {len(parts)} parts: {COMPOUND}")
        for part in parts:
            _show("  part", part, *await _ask(llm, part))
        print(f"\nstats: {json.dumps(llm.stats.snapshot())}")
    finally:
        await llm.cleanup()
