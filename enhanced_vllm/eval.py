"""Evaluation commands (also how the semantic cache and the decomposer are judged on unseen data).

``paraphrase``: for each pair, q1 is stored through the production semantic stage (same code, same
guard, same configured threshold) in a namespace of its own, then q2 is looked up; then the
precision / recall curve over the threshold and a cross-validated estimate of choosing the
operating point (``semantic.operating_point``).
``decompose``: the production decomposer against gold sub-questions (metric in ../shared/data/README.md).
"""

from __future__ import annotations

import json
import re
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from enhanced_vllm.config import SimilarityConfig
from enhanced_vllm.progress import progress
from enhanced_vllm.semantic import operating_point
from enhanced_vllm.semantic.cache import SemanticCache

BASELINE_THRESHOLD = 0.8  # the original design's fixed cosine threshold, no guard


def read_jsonl(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _scores(rows: list[dict], hits: list[bool], lookup_ms: list[float]) -> dict[str, Any]:
    labels = np.asarray([int(r.get("label", 0)) for r in rows])
    result = {key: round(value, 4) for key, value in operating_point.scores(np.asarray(hits), labels).items()}
    precision, recall = result["precision"], result["recall"]
    return {
        "n": len(rows),
        "hits": sum(hits),
        "precision": precision,
        "recall": recall,
        "f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
        "false_hit_rate": result["false_hit_rate"],
        "lookup_ms_p50": round(statistics.median(lookup_ms), 3),
    }


def evaluation_stage(config: SimilarityConfig | None = None) -> SemanticCache:
    """The production semantic stage (embedder, guard, thresholds as configured) on a collection of its own."""
    config = (config or SimilarityConfig()).model_copy(
        update={"chroma_mode": "ephemeral", "collection_name": f"eval-{uuid.uuid4().hex}"}
    )
    return SemanticCache(config)


def evaluate_paraphrase(
    rows: list[dict], config: SimilarityConfig | None = None, repeats: int = 4, target_precision: float = 0.885
) -> tuple[dict, list[dict]]:
    production = evaluation_stage(config)
    config = production.config
    baseline = SemanticCache(
        config.model_copy(
            update={"similarity_threshold": BASELINE_THRESHOLD, "short_question_threshold": None, "enable_guard": False}
        ),
        embedder=production.embedder,
        store=production.store,
    )
    namespaces = [f"pair-{i}" for i in range(len(rows))]
    for row, namespace in progress(zip(rows, namespaces, strict=True), total=len(rows), desc="storing q1"):
        production.store_sync(row["q1"], "dummy answer", namespace, namespace)
    results = {}
    for name, cache in (("production", production), ("baseline", baseline)):
        hits, lookup_ms = [], []
        pairs = zip(rows, namespaces, strict=True)
        for row, namespace in progress(pairs, total=len(rows), desc=f"{name} lookups of q2"):
            started = time.perf_counter()
            hits.append(cache.lookup_sync(row["q2"], namespace) is not None)
            lookup_ms.append((time.perf_counter() - started) * 1000)
        results[name] = (hits, lookup_ms)
    summary = _scores(rows, *results["production"])
    summary["similarity_threshold"] = config.similarity_threshold
    summary["baseline"] = {**_scores(rows, *results["baseline"]), "similarity_threshold": BASELINE_THRESHOLD}
    summary.update(_operating_point(production, rows, repeats, target_precision))
    predictions = [
        {"q1": r["q1"], "q2": r["q2"], "hit": hit} for r, hit in zip(rows, results["production"][0], strict=True)
    ]
    return summary, predictions


def _operating_point(cache: SemanticCache, rows: list[dict], repeats: int, target_precision: float) -> dict:
    """The curve (with the guard and the short-question rule as configured) and, when the data has
    both labels, the cross-validated estimate of choosing the operating point (``repeats`` x 5 folds)."""
    config = cache.config
    features = operating_point.PairFeatures.of(cache, rows)
    shipped = (config.similarity_threshold, config.short_question_threshold)
    result: dict[str, Any] = {"curve": operating_point.curve(features, shipped[1], config.short_question_words)}
    if repeats and 0 < features.labels.sum() < len(rows):
        result["held_out"] = operating_point.held_out(
            features, shipped, config.short_question_words, target_precision, repeats
        )
    return result


def run_paraphrase_eval(
    data: str, predictions_path: str | None, repeats: int = 4, target_precision: float = 0.885
) -> dict:
    summary, predictions = evaluate_paraphrase(read_jsonl(data), repeats=repeats, target_precision=target_precision)
    if predictions_path:
        with open(predictions_path, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(p) + "\n" for p in predictions)
    return summary


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _token_f1(a: list[str], b: list[str]) -> float:
    common = sum(min(a.count(w), b.count(w)) for w in set(a))
    if not common:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)


def _subq_f1(predicted: list[str], gold: list[str]) -> float:
    """Optimal one-to-one matching of sub-questions by token F1, divided by the larger count."""
    from scipy.optimize import linear_sum_assignment

    if not predicted or not gold:
        return 0.0
    scores = [[_token_f1(_words(p), _words(g)) for g in gold] for p in predicted]
    rows, cols = linear_sum_assignment(scores, maximize=True)
    return sum(scores[r][c] for r, c in zip(rows, cols, strict=True)) / max(len(predicted), len(gold))


def _decompose_scores(rows: list[dict], predictions: list[list[str]], ms: list[float]) -> dict[str, Any]:
    exact = count = 0.0
    f1 = []
    for row, predicted in zip(rows, predictions, strict=True):
        gold = row["sub_questions"]
        count += len(predicted) == len(gold)
        exact += sorted(map(_words, predicted)) == sorted(map(_words, gold))
        f1.append(_subq_f1(predicted, gold))
    n = len(rows)
    # the spread a set of this size leaves: 1,000 resamples of its questions
    resampled = np.asarray(f1)[np.random.default_rng(0).integers(0, n, (1000, n))].mean(axis=1)
    return {
        "n": n,
        "exact_match": round(exact / n, 4),
        "subq_f1": round(sum(f1) / n, 4),
        "subq_f1_interval": [round(float(q), 4) for q in np.quantile(resampled, [0.025, 0.975])],
        "count_accuracy": round(count / n, 4),
        "ms_p50": round(statistics.median(ms), 4),
    }


def _naive_split(question: str) -> list[str]:
    return [part.strip() for part in question.split(" and ") if part.strip()]


def run_decompose_eval(data: str, predictions_path: str | None) -> dict:
    from enhanced_vllm.nlp.decomposer import decompose

    rows = read_jsonl(data)
    results = {}
    for name, split in (("production", decompose), ("baseline", _naive_split)):
        predictions, ms = [], []
        for row in rows:
            started = time.perf_counter()
            predictions.append(split(row["question"]))
            ms.append((time.perf_counter() - started) * 1000)
        results[name] = (predictions, ms)
    summary = _decompose_scores(rows, *results["production"])
    summary["baseline"] = _decompose_scores(rows, *results["baseline"])
    if predictions_path:
        with open(predictions_path, "w", encoding="utf-8") as f:
            for row, predicted in zip(rows, results["production"][0], strict=True):
                f.write(json.dumps({"question": row["question"], "sub_questions": predicted}) + "\n")
    return summary
