"""Pure logic: cache values, the L1 bounds, and configuration validation."""

from __future__ import annotations

import msgpack
import pytest
from vllm.logprobs import Logprob
from vllm.outputs import CompletionOutput, RequestOutput

from enhanced_vllm import CacheConfig, ConfigError, HandlerConfig, VLLMConfig
from enhanced_vllm.cache import codec
from enhanced_vllm.cache.memory import MemoryCache
from enhanced_vllm.models import default_model_dir


def finished_output() -> RequestOutput:
    completion = CompletionOutput(
        index=0,
        text="Paris.",
        token_ids=[5, 6],
        cumulative_logprob=-0.5,
        logprobs=[{5: Logprob(-0.1, 1, "Paris")}, {6: Logprob(-0.4, 1, ".")}],
        finish_reason="stop",
        stop_reason=None,
    )
    return RequestOutput("orig", "Q", [1, 2, 3], None, [completion], finished=True, num_cached_tokens=0)


@pytest.mark.parametrize("compress", [False, True])
def test_codec_round_trip(compress):
    blob = codec.encode(finished_output(), compress=compress)
    decoded = codec.decode(blob, "new-id")
    assert decoded.request_id == "new-id" and decoded.finished and decoded.prompt_token_ids == [1, 2, 3]
    completion = decoded.outputs[0]
    assert (completion.text, list(completion.token_ids), completion.finish_reason) == ("Paris.", [5, 6], "stop")
    assert completion.logprobs[1][6].decoded_token == "." and completion.logprobs[0][5].logprob == -0.1


def test_compression_shrinks_repetitive_values():
    output = finished_output()
    output.outputs[0].text = "word " * 500
    assert len(codec.encode(output, compress=True)) < len(codec.encode(output)) / 5


@pytest.mark.parametrize(
    "blob",
    [b"", b"x123", b"r\xc1", b"z not zlib", b"r" + msgpack.packb({"v": 99}), b"r" + msgpack.packb({"v": 1})],
)
def test_corrupt_values_raise_corrupt_entry(blob):
    with pytest.raises(codec.CorruptEntry):
        codec.decode(blob, "id")


def test_memory_ttl_expiry_and_lru_bound():
    now = [0.0]
    cache = MemoryCache(maxsize=2, ttl=10, timer=lambda: now[0])
    cache.store("a", b"1")
    cache.store("b", b"2")
    assert cache.lookup("a") == b"1"  # a is now most recently used
    cache.store("c", b"3")
    assert cache.lookup("b") is None and cache.lookup("a") == b"1" and len(cache) == 2
    now[0] = 11
    assert cache.lookup("a") is None and cache.lookup("c") is None


def test_memory_entries_keep_their_own_ttl_and_tenant():
    now = [0.0]
    cache = MemoryCache(maxsize=10, ttl=10, timer=lambda: now[0])
    cache.store("short", b"1", ttl=1, tenant="a")
    cache.store("long", b"2", tenant="b")
    assert cache.keys_of("a") == ["short"] and sorted(cache.keys_of()) == ["long", "short"]
    now[0] = 2
    assert cache.lookup("short") is None and cache.lookup("long") == b"2" and cache.keys_of("a") == []


def test_values_carry_the_time_their_answer_was_generated():
    blob = codec.encode(finished_output(), created_at=1234.5)
    output, created_at = codec.decode_entry(blob, "id")
    assert created_at == 1234.5 and output.request_id == "id"
    payload = msgpack.unpackb(blob[1:])
    del payload["created_at"]  # a value written before the time was recorded
    assert codec.decode_entry(b"r" + msgpack.packb(payload), "id")[1] is None


def test_config_validation_and_env_overrides(monkeypatch):
    with pytest.raises(ConfigError, match="memory_cache_size"):
        CacheConfig(memory_cache_size=0)
    with pytest.raises(ConfigError, match="ttl"):
        CacheConfig(ttl=-1)
    with pytest.raises(ConfigError, match="cache_type"):
        CacheConfig(cache_type="disk")
    with pytest.raises(ConfigError, match="max_concurrent_tasks"):
        HandlerConfig(nlp={"max_concurrent_tasks": 0})
    config = VLLMConfig()
    with pytest.raises(ConfigError, match="gpu_memory_utilization"):
        config.engine_args.gpu_memory_utilization = 2.0
    monkeypatch.setenv("ENHANCED_VLLM_CACHE_TTL", "42")
    monkeypatch.setenv("ENHANCED_VLLM_CACHE_CACHE_TYPE", "redis")
    monkeypatch.setenv("ENHANCED_VLLM_HANDLER_FEATURES__ENABLE_CACHING", "false")
    assert CacheConfig().ttl == 42 and CacheConfig().cache_type == "redis"
    assert CacheConfig(ttl=7).ttl == 7, "explicit arguments win over the environment"
    assert HandlerConfig().cache_enabled is False


def test_original_flat_handler_keywords():
    config = HandlerConfig(model_name="m", cache_enabled=False, nlp_enabled=False)
    assert config.features.enable_caching is False and config.features.enable_nlp_enhancement is False
    assert config.cache_enabled is False and config.model_name == "m"


def test_engine_args_pass_through_and_unknown_ones_fail():
    config = VLLMConfig()
    config.engine_args.max_num_seqs = 8
    args = config.to_engine_args()
    assert args.model == str(default_model_dir()) and args.max_num_seqs == 8 and args.max_model_len == 2048
    config.engine_args.not_an_engine_arg = 1
    with pytest.raises(ConfigError, match="not_an_engine_arg"):
        config.to_engine_args()


def test_tensor_and_data_parallel_reach_vllm_through_the_config_the_adapters_and_the_sweep():
    from enhanced_vllm.sweep import bench_engine_args
    from langchain_enhanced_vllm import ChatEnhancedVLLM
    from llamaindex_enhanced_vllm import EnhancedVLLM

    parallel = {
        "tensor_parallel_size": 2,
        "data_parallel_size": 2,
        "compilation_config": {"pass_config": {"fuse_allreduce_rms": False}},  # GPU.md: never NVLink multicast
    }
    configs = [
        VLLMConfig(engine_args=parallel),
        ChatEnhancedVLLM(engine_args=parallel).vllm_config(),
        EnhancedVLLM(engine_args=parallel).vllm_config(),
        VLLMConfig(engine_args=bench_engine_args(None, "dummy", parallel)),
    ]
    for config in configs:
        args = config.to_engine_args()  # builds vLLM's AsyncEngineArgs; starts nothing
        assert (args.tensor_parallel_size, args.data_parallel_size) == (2, 2)
        assert args.compilation_config.pass_config.fuse_allreduce_rms is False
    assert configs[-1].to_engine_args().load_format == "dummy"


def test_the_model_in_the_environment_is_the_one_the_engine_loads(monkeypatch, tmp_path):
    from enhanced_vllm import EnhancedAsyncLLM

    missing = tmp_path / "no-such-model"
    monkeypatch.setenv("ENHANCED_VLLM_VLLM_ENGINE_ARGS__MODEL", str(missing))
    with pytest.raises(Exception, match="no-such-model"):
        EnhancedAsyncLLM()


def test_target_precision_picks_a_measured_operating_point(monkeypatch):
    from enhanced_vllm import SimilarityConfig
    from enhanced_vllm.config import OPERATING_POINTS

    assert SimilarityConfig(target_precision=0.9).similarity_threshold == OPERATING_POINTS[0.90][0]
    picked = SimilarityConfig(target_precision=0.89)  # the smallest tabulated precision >= it
    assert (picked.similarity_threshold, picked.short_question_threshold) == OPERATING_POINTS[0.90]
    default = SimilarityConfig()  # the point chosen for >= 0.88 held-out precision
    assert (default.similarity_threshold, default.short_question_threshold) == OPERATING_POINTS[0.88]
    thresholds = [OPERATING_POINTS[p][0] for p in sorted(OPERATING_POINTS)]
    assert thresholds == sorted(thresholds), "a higher precision never comes from a lower threshold"
    with pytest.raises(ConfigError, match="give one of"):
        SimilarityConfig(target_precision=0.9, similarity_threshold=0.7)
    with pytest.raises(ConfigError, match="above the highest"):
        SimilarityConfig(target_precision=0.99)
    monkeypatch.setenv("ENHANCED_VLLM_SIMILARITY_TARGET_PRECISION", "0.92")
    assert SimilarityConfig().similarity_threshold == OPERATING_POINTS[0.92][0]
