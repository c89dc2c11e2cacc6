"""The command line as a user runs it: from another directory, with no environment variable set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).with_name("enhanced-vllm"))


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ENHANCED_VLLM_")}


def test_every_entry_point_finds_the_set_up_artifacts_without_environment_variables(tmp_path):
    code = (
        "from enhanced_vllm.models import default_model_dir, is_complete, models_root;"
        "from enhanced_vllm.nlp.resources import wordnet_dir;"
        "print(models_root(), is_complete(default_model_dir()), (wordnet_dir() / 'lexnames').is_file())"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, check=True
    )
    root, model_ready, wordnet_ready = found.stdout.split()
    assert Path(root) == Path(sys.prefix).resolve() / "share" / "enhanced_vllm" / "models"
    assert model_ready == wordnet_ready == "True"
    setup = subprocess.run([CLI, "setup"], cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, check=True)
    assert f"default model ready at {root}" in setup.stdout
    assert "Converting" not in setup.stderr  # nothing is converted a second time


@pytest.mark.slow
def test_demo_answers_correctly_from_every_level(tmp_path):
    env = {**_clean_env(), "HF_HUB_OFFLINE": "1"}
    demo = subprocess.run([CLI, "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr[-3000:]
    lines = demo.stdout.splitlines()
    levels = [line.split("cache level ")[1].split(",")[0].rstrip(")") for line in lines if "cache level" in line]
    answers = [line.split("answer:", 1)[1] for line in lines if "answer:" in line]
    # miss, exact hit, paraphrase; the near-miss from the engine; the compound's parts: a hit and a miss
    assert levels == ["None", "memory", "semantic", "None", "memory", "None"], demo.stdout
    assert all("Paris" in answer for answer in answers[:3]) and "Paris" in answers[4] and "Tokyo" in answers[5]
    assert "the guard refused 'How long is the flight from London to New York?': direction differs" in demo.stdout
    assert "2 parts" in demo.stdout and "What is the capital of Japan?" in demo.stdout
