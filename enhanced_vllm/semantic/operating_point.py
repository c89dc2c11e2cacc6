"""The semantic decision's precision / recall curve and a cross-validated estimate of choosing its
operating point, from per-pair features computed once through the production stage: the cosine of
q1 and q2 (the stage's embedder), the guard's verdict and the word counts the short-question rule
reads. ``decide`` is ``SemanticCache._accept`` for one stored candidate, vectorised (a test checks
that the two agree pair by pair), so a sweep over operating points costs no lookups."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np

from enhanced_vllm.semantic.cache import SemanticCache, word_count

CURVE_THRESHOLDS = np.round(np.arange(0.70, 0.991, 0.01), 2)
SHORT_THRESHOLDS = (None, *np.round(np.arange(0.85, 0.981, 0.01), 2))


@dataclass(frozen=True)
class PairFeatures:
    cosine: np.ndarray
    guard_allowed: np.ndarray
    words: np.ndarray  # (pairs, 2): word counts of q1 and q2
    labels: np.ndarray

    @classmethod
    def of(cls, cache: SemanticCache, rows: list[dict]) -> PairFeatures:
        q1, q2 = [r["q1"] for r in rows], [r["q2"] for r in rows]
        cosine = np.einsum("ij,ij->i", _one_by_one(cache, q1), _one_by_one(cache, q2))
        allowed = [cache.guard.check(a, b).allowed for a, b in zip(q1, q2, strict=True)]
        words = [[word_count(a), word_count(b)] for a, b in zip(q1, q2, strict=True)]
        labels = [int(r.get("label", 0)) for r in rows]
        return cls(cosine, np.asarray(allowed), np.asarray(words), np.asarray(labels))

    def subset(self, index: np.ndarray) -> PairFeatures:
        return PairFeatures(self.cosine[index], self.guard_allowed[index], self.words[index], self.labels[index])


def _one_by_one(cache: SemanticCache, texts: list[str]) -> np.ndarray:
    """Embeddings as the stage makes them for one store or lookup (in a batch, padding moves a
    bfloat16 cosine by ~0.001, which flips pairs at a threshold)."""
    return np.stack([cache.embed([text])[0] for text in texts])


def decide(f: PairFeatures, threshold: float, short_threshold: float | None, short_words: int) -> np.ndarray:
    """Hits: cosine >= the threshold both questions need, and the guard allows."""
    need = np.full(len(f.cosine), threshold)
    if short_threshold is not None:
        short = (f.words < short_words).any(axis=1)
        need[short] = max(threshold, short_threshold)
    return (f.cosine >= need) & f.guard_allowed


def scores(hits: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    true_hits = int((hits & (labels == 1)).sum())
    positives, negatives = int((labels == 1).sum()), int((labels == 0).sum())
    return {
        "precision": true_hits / hits.sum() if hits.sum() else 0.0,
        "recall": true_hits / positives if positives else 0.0,
        "false_hit_rate": float((hits & (labels == 0)).sum() / negatives) if negatives else 0.0,
    }


def curve(f: PairFeatures, short_threshold: float | None, short_words: int) -> list[dict[str, float]]:
    """Precision / recall / false hits per similarity threshold, with the short-question rule as set."""
    return [
        {"threshold": float(t), **_rounded(scores(decide(f, t, short_threshold, short_words), f.labels))}
        for t in CURVE_THRESHOLDS
    ]


def choose(f: PairFeatures, target_precision: float, short_words: int) -> tuple[float, float | None]:
    """The (threshold, short-question threshold) with the most recall at >= ``target_precision``."""
    best, best_recall = (float(CURVE_THRESHOLDS[-1]), None), -1.0
    for t in CURVE_THRESHOLDS:
        for s in SHORT_THRESHOLDS:
            if s is not None and s <= t:
                continue
            result = scores(decide(f, t, s, short_words), f.labels)
            if result["precision"] >= target_precision and result["recall"] > best_recall:
                best, best_recall = (float(t), s if s is None else float(s)), result["recall"]
    return best


def held_out(
    f: PairFeatures,
    shipped: tuple[float, float | None],
    short_words: int,
    target_precision: float,
    repeats: int = 4,
    folds: int = 5,
) -> dict[str, Any]:
    """Repeated k-fold cross-validation of choosing the operating point: in each of ``repeats``
    shuffles, for each of ``folds`` folds, the point with the most recall at ``target_precision``
    is chosen on the other folds and scored on this one; the shipped point is scored on the same folds."""
    chosen_runs, shipped_runs, points = [], [], []
    for repeat in range(repeats):
        order = np.random.default_rng(repeat).permutation(len(f.cosine))
        for fold in range(folds):
            test_rows = order[fold::folds]
            train, test = f.subset(np.setdiff1d(order, test_rows)), f.subset(test_rows)
            point = choose(train, target_precision, short_words)
            points.append(point)
            chosen_runs.append(scores(decide(test, *point, short_words), test.labels))
            shipped_runs.append(scores(decide(test, *shipped, short_words), test.labels))
    return {
        "folds": folds,
        "repeats": repeats,
        "target_precision": target_precision,
        "chosen": _spread(chosen_runs),
        "chosen_thresholds": sorted({f"{t}/{s}" for t, s in points}),
        "shipped": _spread(shipped_runs),
    }


def _spread(runs: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    return {
        key: {
            "mean": round(statistics.fmean(r[key] for r in runs), 4),
            "sd": round(statistics.stdev(r[key] for r in runs), 4),
            "min": round(min(r[key] for r in runs), 4),
            "max": round(max(r[key] for r in runs), 4),
        }
        for key in runs[0]
    }


def _rounded(result: dict[str, float]) -> dict[str, float]:
    return {key: round(value, 4) for key, value in result.items()}
