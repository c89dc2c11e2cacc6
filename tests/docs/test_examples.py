"""Every Python example in README.md and docs/ is a whole program, and runs as written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.docs.examples import ROOT, examples


def test_every_example_compiles_and_most_run():
    found = examples()
    for example in found:
        compile(example.code, example.where, "exec")
    assert {e.where.split(":")[0] for e in found} >= {"README.md", "docs/api.md", "docs/migration.md"}
    assert sum(not e.runs for e in found) == 4, "only the migration guide's four foreign 'before' blocks are not run"


@pytest.mark.slow
@pytest.mark.timeout(1500)  # fifteen whole programs, each starting its own engine: 500-650 s on two cores
def test_readme_and_docs_examples_run_and_print_what_they_say(redis_server, tmp_path):
    report = tmp_path / "report.json"
    chroma = str(tmp_path / "chroma")  # not the user's ~/.cache
    env = {**os.environ, "REDIS_URL": redis_server.url, "ENHANCED_VLLM_SIMILARITY_CHROMA_PATH": chroma}
    run = subprocess.run(
        [sys.executable, "-m", "tests.docs.examples", str(report)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500,
    )
    result = json.loads(report.read_text()) if report.exists() else {"printed": {}, "failed": "before any"}
    assert run.returncode == 0 and result["failed"] is None, (result["failed"], run.stderr[-4000:])
    printed = result["printed"]
    assert len(printed) == sum(e.runs for e in examples())

    def output_of(phrase: str) -> str:  # what the example whose code holds phrase printed
        return printed[next(e.where for e in examples() if e.runs and phrase in e.code)]

    assert re.findall(r"^(None|memory) \d", output_of("EnhancedAsyncLLM()  # the bundled"), re.M) == ["None", "memory"]
    assert "memory" in output_of("capital of Italy")
    assert "memory" in output_of("REDIS_URL") and output_of("REDIS_URL").rstrip().endswith("True")
    assert "'status': 'healthy'" in output_of("create_enhanced_system")
    for phrase in ("EnhancedAsyncLLM.from_engine_args", "rainbow", "# temperature defaults to 0"):
        assert output_of(phrase).rstrip().endswith("memory"), phrase
    for phrase in ("llm.ainvoke(", "llm.acomplete("):  # completion models answer a completion prompt
        assert len(output_of(phrase).split()) > 6, phrase
    assert output_of("InMemoryCache()").splitlines()[:2] == ["first first", "second"]
    assert output_of("EnhancedSemanticCache(SimilarityConfig").count("Practise a little every day.") == 2
    assert "Paris" in output_of("SubQuestionQueryEngine") or "France" in output_of("SubQuestionQueryEngine")
