"""The concurrency sweep's ratio and interval, and one small sweep on the real engine."""

from __future__ import annotations

import pytest

from enhanced_vllm.sweep import ratio_interval, sweep


def test_ratio_interval_is_the_ratio_of_sums_with_a_bootstrap_interval_around_it():
    assert ratio_interval([100.0] * 6, [100.0] * 6) == (1.0, 1.0, 1.0)
    ratio, low, high = ratio_interval([90, 110, 95, 105, 100, 94], [100] * 6)
    assert ratio == pytest.approx(0.99) and low < ratio < high and high - low < 0.15


async def test_a_small_sweep_measures_each_configuration_side_by_side_and_where_the_loop_went(engine):
    (row,) = await sweep(engine, [2], tokens=4, rounds=2, configs=["exact", "all_features", "semantic_only"])
    assert row["concurrency"] == 2 and row["rounds"] == 2
    busy_threads = set()
    for name in ("exact", "all_features", "semantic_only"):
        assert row[f"{name}_ratio_low"] <= row[f"{name}_ratio"] <= row[f"{name}_ratio_high"]
        assert len(row[f"{name}_tokens_per_s"]) == len(row[f"{name}_plain_tokens_per_s"]) == 2
        for side in ("product", "plain"):
            loop = row[f"{name}_loop"][side]
            assert 0 <= loop["lag_ms"]["p50"] <= loop["lag_ms"]["p99"] <= loop["lag_ms"]["max"]
            assert all(seconds > 0 for seconds in loop["thread_cpu_s"].values())
            busy_threads |= set(loop["thread_cpu_s"])
        assert set(row[f"{name}_events"]) == {"nlp_inline", "nlp_skipped", "semantic_store_skipped"}
    assert "MainThread" in busy_threads, "the loop's thread processed the outputs (CPU time in clock ticks)"
    assert not engine.flights.by_key


async def test_an_unknown_configuration_is_a_typed_error_naming_the_known_ones(engine):
    from enhanced_vllm import ConfigError

    with pytest.raises(ConfigError, match="semantic_only"):
        await sweep(engine, [2], tokens=4, rounds=1, configs=["exact_typo"])


def test_the_plot_shows_each_configuration_beside_plain(tmp_path):
    from enhanced_vllm.sweep import plot_sweep

    row = {"model": "/models/m", "concurrency": 16}
    for name in ("exact", "all_features"):
        row |= {f"{name}_tokens_per_s": [95.0, 97.0], f"{name}_plain_tokens_per_s": [100.0, 99.0]}
    result = {"device": "cpu", "vllm_version": "0.32.0", "sweep": [row, {**row, "concurrency": 64}]}
    plot_sweep(result, tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_reuse_workloads_report_speedup_beside_the_ideal(engine, tmp_path):
    from enhanced_vllm import CacheConfig, SimilarityConfig
    from enhanced_vllm.sweep import CONFIGS
    from enhanced_vllm.workloads import reuse_rows
    from tests.helpers import EXACT_ONLY

    engine.configure(CacheConfig(), CONFIGS["all_features"], SimilarityConfig(chroma_path=tmp_path / "c"))
    try:
        (duplicate,) = await reuse_rows(engine, [0.5], concurrency=2, tokens=8, rounds=2, requests_per_client=2)
        (paraphrase,) = await reuse_rows(
            engine, [0.5], concurrency=2, tokens=8, rounds=2, paraphrased=True, requests_per_client=2
        )
    finally:
        engine.configure(CacheConfig(), EXACT_ONLY)
    assert duplicate["ideal"] == 2.0 and duplicate["requests"] == 4
    assert duplicate["cache_levels"] == {"memory": 4, "None": 4}, "half of each timed list is a repeat"
    assert duplicate["speedup_low"] <= duplicate["speedup"] <= duplicate["speedup_high"]
    assert duplicate["speedup"] > 1.2, "hits must make the product faster than plain on the same list"
    assert paraphrase["workload"] == "paraphrase" and paraphrase["cache_levels"].get("semantic", 0) >= 2
