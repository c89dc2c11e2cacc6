"""enhanced-vllm: vLLM's AsyncLLM with a multi-level cache in front of the engine.

Public names are imported lazily, so ``import enhanced_vllm`` does not import vLLM (the CLI sets
vLLM's logging environment first).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "CacheConfig": "config",
    "CacheControl": "config",
    "CacheType": "config",
    "HandlerConfig": "config",
    "SimilarityConfig": "config",
    "VLLMConfig": "config",
    "EnhancedAsyncLLM": "engine",
    "EnhancedRequestOutputCollector": "collector",
    "EnhancedRequestOutput": "outputs",
    "EnhancedVLLMHandler": "handler",
    "create_enhanced_system": "handler",
    "get_global_factory": "handler",
    "CacheUnavailable": "errors",
    "ConfigError": "errors",
    "EnhancedVLLMError": "errors",
    "ModelNotAvailableError": "errors",
}
__all__ = [
    "CacheConfig",
    "CacheControl",
    "CacheType",
    "CacheUnavailable",
    "ConfigError",
    "EnhancedAsyncLLM",
    "EnhancedRequestOutput",
    "EnhancedRequestOutputCollector",
    "EnhancedVLLMError",
    "EnhancedVLLMHandler",
    "HandlerConfig",
    "ModelNotAvailableError",
    "SimilarityConfig",
    "VLLMConfig",
    "create_enhanced_system",
    "get_global_factory",
]

if TYPE_CHECKING:
    from enhanced_vllm.collector import EnhancedRequestOutputCollector
    from enhanced_vllm.config import (
        CacheConfig,
        CacheControl,
        CacheType,
        HandlerConfig,
        SimilarityConfig,
        VLLMConfig,
    )
    from enhanced_vllm.engine import EnhancedAsyncLLM
    from enhanced_vllm.errors import CacheUnavailable, ConfigError, EnhancedVLLMError, ModelNotAvailableError
    from enhanced_vllm.handler import EnhancedVLLMHandler, create_enhanced_system, get_global_factory
    from enhanced_vllm.outputs import EnhancedRequestOutput


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'enhanced_vllm' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"enhanced_vllm.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
