"""Calibration: the semantic stage's operating point chosen on your own labelled pairs.

``enhanced-vllm calibrate --data PAIRS.jsonl --target-precision 0.95 [--write FILE]`` (or
:func:`calibrate`): rows ``{"q1", "q2", "label"}`` (1: same meaning) go through the production stage
exactly as ``eval paraphrase`` does (``eval.evaluation_stage``, ``semantic.operating_point``): the
precision / recall / false-hit table over the threshold, and the point with the most recall at the
target precision. ``--write FILE`` saves it; ``SimilarityConfig(calibration_file=FILE)`` (or
``ENHANCED_VLLM_SIMILARITY_CALIBRATION_FILE=FILE``) makes the next start use it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from enhanced_vllm.config import SimilarityConfig
from enhanced_vllm.semantic import operating_point


def calibrate(rows: list[dict], target_precision: float, config: SimilarityConfig | None = None) -> dict[str, Any]:
    """The table and the chosen point; ``reachable`` False when no point meets the target on these rows."""
    from enhanced_vllm.eval import evaluation_stage

    stage = evaluation_stage(config)
    try:
        features = operating_point.PairFeatures.of(stage, rows)
    finally:
        stage.close()
    short_words = stage.config.short_question_words
    threshold, short = operating_point.choose(features, target_precision, short_words)
    chosen = operating_point.scores(operating_point.decide(features, threshold, short, short_words), features.labels)
    return {
        "pairs": len(rows),
        "positives": int(features.labels.sum()),
        "target_precision": target_precision,
        "reachable": chosen["precision"] >= target_precision,
        "similarity_threshold": threshold,
        "short_question_threshold": short,
        **{key: round(value, 4) for key, value in chosen.items()},
        "table": operating_point.curve(features, short, short_words),
    }


def write_calibration(result: dict[str, Any], path: str | Path) -> None:
    """Save the chosen point where ``SimilarityConfig(calibration_file=...)`` reads it."""
    if not result["reachable"]:
        raise ValueError(f"no operating point reaches precision {result['target_precision']} on these pairs")
    point = {key: result[key] for key in ("similarity_threshold", "short_question_threshold")}
    measured = {key: result[key] for key in ("pairs", "target_precision", "precision", "recall", "false_hit_rate")}
    Path(path).write_text(json.dumps({**point, "measured": measured}, indent=2) + "\n", encoding="utf-8")


def table_text(result: dict[str, Any]) -> str:
    """The table as a user reads it, the chosen point marked."""
    lines = [f"{'threshold':>9} {'precision':>9} {'recall':>7} {'false hits':>10}"]
    for row in result["table"]:
        mark = "  <- chosen" if row["threshold"] == result["similarity_threshold"] else ""
        scores = f"{row['precision']:>9.3f} {row['recall']:>7.3f} {row['false_hit_rate']:>10.3f}"
        lines.append(f"{row['threshold']:>9.2f} {scores}{mark}")
    short = result["short_question_threshold"]
    verdict = "meets" if result["reachable"] else "does NOT meet"
    lines.append(
        f"chosen: threshold {result['similarity_threshold']}, short questions {short}: precision "
        f"{result['precision']:.3f}, recall {result['recall']:.3f} ({verdict} the target {result['target_precision']})"
    )
    return "\n".join(lines)
