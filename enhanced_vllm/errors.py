"""Typed errors: each says what went wrong and what the caller can do about it."""


class EnhancedVLLMError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(EnhancedVLLMError, ValueError):
    """A configuration value is invalid; the message names the field and the accepted values."""


class ModelNotAvailableError(EnhancedVLLMError):
    """The requested (or bundled default) model cannot be found or prepared offline."""


class CacheUnavailable(EnhancedVLLMError):
    """A cache backend (Redis, Chroma) cannot be reached; requests fall back to the engine."""


class UncacheableRequest(EnhancedVLLMError):
    """A request cannot be keyed (e.g. a callable logits processor); it bypasses the cache."""


class GenerationFailed(EnhancedVLLMError):
    """The engine could not finish a request (aborted, engine error); the message says why."""
