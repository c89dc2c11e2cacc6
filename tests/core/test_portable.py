"""Warm-up and portability on the real engine with Redis and the semantic stage: import 1,000 rows, export
the same set, a re-import adds nothing, malformed rows are reported by line and skipped; imported answers
serve the application's own requests (the exact question and a paraphrase); the CLI does the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from vllm import SamplingParams

from enhanced_vllm import CacheConfig, CacheType, HandlerConfig, SimilarityConfig
from enhanced_vllm.cache.portable import export_entries, import_entries, read_jsonl, write_jsonl
from tests.helpers import EXACT_ONLY

CLI = str(Path(sys.executable).with_name("enhanced-vllm"))
PLACES = ["Peru", "Kenya", "Norway", "Japan", "Chile", "Ghana", "Nepal", "Spain", "Laos", "Cuba"]
FACTS = ["capital", "population", "currency", "largest city", "official language"]
ADAPTER_SAMPLING = SamplingParams(temperature=0.0, max_tokens=256)  # what the adapters send by default


def _rows(count: int) -> list[dict]:
    rows = []
    for i in range(count):
        row = {"question": f"What is the {FACTS[i % 5]} of {PLACES[i // 5 % 10]} in record {i}?", "answer": f"A{i}."}
        if i % 3 == 0:
            row["tenant"] = f"tenant-{i % 4}"
        if i % 7 == 0:
            row["sampling"] = {"temperature": 0.0, "max_tokens": 64}
        if i % 11 == 0:
            row["metadata"] = {"source": "faq", "rank": i}
        rows.append(row)
    return rows


def _as_set(rows) -> set[str]:
    return {json.dumps(row, sort_keys=True) for row in rows}


@pytest.fixture
async def stores_llm(engine, redis_server, tmp_path):
    if not redis_server.running:
        redis_server.start()
    prefix = uuid.uuid4().hex
    cache = CacheConfig(cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix=prefix)
    similarity = SimilarityConfig(chroma_mode="persistent", chroma_path=tmp_path / "chroma", max_hold_ms=5000)
    engine.configure(cache, HandlerConfig(), similarity)
    yield engine
    await engine.flush_cache_writes()
    engine.configure(CacheConfig(), EXACT_ONLY)


async def test_import_export_round_trip_is_idempotent_and_reports_bad_rows(stores_llm, tmp_path):
    llm, rows = stores_llm, _rows(1000)
    path = tmp_path / "rows.jsonl"
    lines = [json.dumps(row) for row in rows]
    bad = {
        3: "{not json",
        10: json.dumps({"question": "Where is Lima?"}),  # no answer
        20: json.dumps({"question": "Where is Lima?", "answer": "Peru", "colour": "red"}),
        30: json.dumps({"question": "Where is Lima?", "answer": "Peru", "sampling": {"temperature": -1}}),
        40: json.dumps({"question": "Where is Lima?", "answer": "Peru", "sampling": {"temperature": 0.7}}),
    }
    for line, text in sorted(bad.items()):
        lines.insert(line - 1, text)
    path.write_text("\n".join(lines) + "\n")

    report = await import_entries(llm, read_jsonl(path))
    assert (report.imported, report.already_present) == (1000, 0)
    assert [line for line, _ in report.errors] == sorted(bad)
    assert "answer" in dict(report.errors)[10] and "seed" in dict(report.errors)[40]

    exported = tmp_path / "exported.jsonl"
    assert write_jsonl(export_entries(llm), exported) == 1000
    assert _as_set(row for _, row in read_jsonl(exported)) == _as_set(rows)

    again = await import_entries(llm, read_jsonl(exported))
    assert (again.imported, again.already_present, again.errors) == (0, 1000, [])
    assert len(export_entries(llm)) == 1000 and llm.semantic.store.count() == 1000
    assert await llm.redis.count() == 1000


async def test_imported_answers_serve_the_question_and_its_paraphrase(stores_llm):
    llm = stores_llm
    question = "How many bones are there in the adult human body?"
    report = await import_entries(llm, [(1, {"question": question, "answer": "206."})])
    assert report.imported == 1
    for asked, level in ((question, "memory"), ("How many bones does the adult human body have?", "semantic")):
        outputs = [o async for o in llm.chat([{"role": "user", "content": asked}], ADAPTER_SAMPLING)]
        assert (outputs[-1].metadata["cache_level"], outputs[-1].outputs[0].text) == (level, "206.")


@pytest.mark.slow
def test_the_cli_imports_reports_bad_lines_and_keeps_a_pipe_free_of_progress_bars(redis_server, tmp_path):
    if not redis_server.running:
        redis_server.start()
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join([*(json.dumps(row) for row in _rows(20)), "[1, 2]"]) + "\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ENHANCED_VLLM_")},
        "ENHANCED_VLLM_CACHE_CACHE_TYPE": "redis",
        "ENHANCED_VLLM_CACHE_REDIS_URL": redis_server.url,
        "ENHANCED_VLLM_CACHE_REDIS_KEY_PREFIX": uuid.uuid4().hex,
        "ENHANCED_VLLM_SIMILARITY_CHROMA_PATH": str(tmp_path / "chroma"),
        "HF_HUB_OFFLINE": "1",
    }
    run = subprocess.run([CLI, "cache", "import", str(path)], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert (report["imported"], [e["line"] for e in report["errors"]]) == (20, [21])
    assert "importing" not in run.stderr  # the bar is for terminals; a pipe gets none
    stats = subprocess.run([CLI, "cache", "stats"], env=env, capture_output=True, text=True, timeout=300)
    assert stats.returncode == 0, stats.stderr[-3000:]
    assert json.loads(stats.stdout) | {"semantic_by_tenant": None} == {
        "namespace": "default",
        "epoch": 0,
        "epoch_source": "redis",
        "redis_entries": 20,
        "semantic_entries": 20,
        "semantic_by_tenant": None,
    }
