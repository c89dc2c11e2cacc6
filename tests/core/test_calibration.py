"""Calibration on labelled pairs through the production stage: a higher target picks a stricter point,
the written file is what the next start uses (also from the environment), the CLI prints the table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from enhanced_vllm import ConfigError, SimilarityConfig
from enhanced_vllm.eval import read_jsonl
from enhanced_vllm.semantic.calibration import calibrate, write_calibration

DEV = Path(__file__).resolve().parents[3] / "shared" / "data" / "paraphrase_dev.jsonl"
CLI = str(Path(sys.executable).with_name("enhanced-vllm"))


@pytest.fixture(scope="module")
def pairs():
    if not DEV.is_file():
        pytest.skip("../shared/data is not beside this checkout")
    return read_jsonl(DEV)[:400]


def test_a_higher_target_picks_a_stricter_point_and_the_next_start_uses_it(pairs, tmp_path, monkeypatch):
    loose, strict = calibrate(pairs, 0.80), calibrate(pairs, 0.95)
    assert loose["reachable"] and strict["reachable"]
    assert strict["similarity_threshold"] >= loose["similarity_threshold"]
    assert strict["precision"] >= 0.95 and strict["precision"] > loose["precision"]
    assert strict["recall"] < loose["recall"]
    assert [row["threshold"] for row in strict["table"]] == sorted(row["threshold"] for row in strict["table"])

    path = tmp_path / "calibration.json"
    write_calibration(strict, path)
    config = SimilarityConfig(calibration_file=path)
    assert (config.similarity_threshold, config.short_question_threshold) == (
        strict["similarity_threshold"],
        strict["short_question_threshold"],
    )
    monkeypatch.setenv("ENHANCED_VLLM_SIMILARITY_CALIBRATION_FILE", str(path))
    assert SimilarityConfig().similarity_threshold == strict["similarity_threshold"]
    with pytest.raises(ConfigError, match="give one of"):
        SimilarityConfig(similarity_threshold=0.5)  # the file and explicit thresholds disagree


def test_an_unreadable_calibration_file_is_a_config_error(tmp_path):
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ConfigError, match="calibration_file"):
        SimilarityConfig(calibration_file=tmp_path / "bad.json")


def test_an_unreachable_target_writes_nothing(tmp_path):
    rows = [
        {"q1": "How do I learn Python quickly?", "q2": "How do I learn Python quickly?", "label": 0},
        {"q1": "What is the capital of Peru?", "q2": "What's the capital of Peru?", "label": 1},
    ]
    result = calibrate(rows, 1.0)  # the identical negative is a false hit at every threshold
    assert not result["reachable"]
    with pytest.raises(ValueError, match="no operating point"):
        write_calibration(result, tmp_path / "never.json")
    assert not (tmp_path / "never.json").exists()


def test_the_cli_prints_the_table_and_writes_the_point(pairs, tmp_path):
    data = tmp_path / "pairs.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in pairs[:200]))
    written = tmp_path / "point.json"
    run = subprocess.run(
        [CLI, "calibrate", "--data", str(data), "--target-precision", "0.9", "--write", str(written)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "<- chosen" in run.stdout and "meets the target 0.9" in run.stdout
    point = json.loads(written.read_text())
    assert point["measured"]["precision"] >= 0.9 and "similarity_threshold" in point
