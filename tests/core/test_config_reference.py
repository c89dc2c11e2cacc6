"""docs/configuration.md is generated from the config models and current; the variables it names work."""

from __future__ import annotations

import re
from pathlib import Path

from enhanced_vllm.config import CacheConfig, HandlerConfig, SimilarityConfig, VLLMConfig
from enhanced_vllm.config_reference import SECTIONS, field_comments, reference_markdown

DOC = Path(__file__).parents[2] / "docs" / "configuration.md"


def test_the_configuration_reference_is_current():
    assert DOC.read_text(encoding="utf-8") == reference_markdown(), (
        "docs/configuration.md is stale: run `enhanced-vllm docs > docs/configuration.md`"
    )


def test_every_field_is_documented_with_what_it_does():
    for model, _ in SECTIONS:
        comments = field_comments(model)
        undocumented = [name for name in model.model_fields if not comments.get(name)]
        assert not undocumented, f"{model.__name__}: no comment beside {undocumented} in config.py"


def test_the_documented_environment_variables_are_the_ones_read(monkeypatch):
    text = reference_markdown()
    variables = dict(re.findall(r"\| `(\w+)` \|[^\n]*`(ENHANCED_VLLM_\w+)`", text))
    monkeypatch.setenv(variables["memory_cache_size"], "7")
    monkeypatch.setenv(variables["short_question_words"], "5")
    monkeypatch.setenv("ENHANCED_VLLM_HANDLER_FEATURES__ENABLE_CACHING", "false")
    monkeypatch.setenv("ENHANCED_VLLM_VLLM_ENGINE_ARGS__MAX_MODEL_LEN", "512")
    assert "`ENHANCED_VLLM_HANDLER_FEATURES__ENABLE_CACHING`" in text
    assert "`ENHANCED_VLLM_VLLM_ENGINE_ARGS__MAX_MODEL_LEN`" in text
    assert CacheConfig().memory_cache_size == 7 and SimilarityConfig().short_question_words == 5
    assert HandlerConfig().features.enable_caching is False
    assert VLLMConfig().engine_args.max_model_len == 512
