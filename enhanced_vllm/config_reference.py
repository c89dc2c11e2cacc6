"""The configuration reference (``docs/configuration.md``), generated from the config models so it
cannot drift: every field with its type, default, constraints, environment variable and the comment
beside it in ``config.py``. ``enhanced-vllm docs`` prints it; a test checks the file is current."""

from __future__ import annotations

import enum
import inspect
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_settings import BaseSettings

from enhanced_vllm import config

# the models a user constructs, and their nested models, with where each one's variables start
SECTIONS: list[tuple[type[BaseModel], str | None]] = [
    (config.VLLMConfig, "ENHANCED_VLLM_VLLM_"),
    (config.EngineArgsConfig, "ENHANCED_VLLM_VLLM_ENGINE_ARGS__"),
    (config.CacheConfig, "ENHANCED_VLLM_CACHE_"),
    (config.SimilarityConfig, "ENHANCED_VLLM_SIMILARITY_"),
    (config.HandlerConfig, "ENHANCED_VLLM_HANDLER_"),
    (config.FeaturesConfig, "ENHANCED_VLLM_HANDLER_FEATURES__"),
    (config.NLPConfig, "ENHANCED_VLLM_HANDLER_NLP__"),
    (config.CacheControl, None),
]
_FIELD_LINE = re.compile(r"^    (?P<name>[a-z_][a-z0-9_]*)\s*:")
_CONSTRAINTS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "min_length": "length >=", "max_length": "length <="}


def field_comments(model: type[BaseModel]) -> dict[str, str]:
    """The comment on a field's own line, or on the lines just above it, in the model's source."""
    comments: dict[str, str] = {}
    above: list[str] = []
    for line in inspect.getsource(model).splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            above.append(stripped.lstrip("# "))
            continue
        if match := _FIELD_LINE.match(line):
            own = line.split("  # ", 1)[1].strip() if "  # " in line else ""
            comments[match.group("name")] = " ".join([*above, own]).strip()
        above = []
    return comments


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    return text or str(annotation).replace("typing.", "").replace("pathlib.", "").replace("enhanced_vllm.config.", "")


def _default(info: Any) -> str:
    if info.default_factory is not None:
        return "(see below)" if isinstance(info.default_factory, type) else "(computed)"
    value = info.default
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, Path):
        return str(value).replace(str(Path.home()), "~")
    return repr(value) if not isinstance(value, str) else f'"{value}"'


def _constraints(info: Any) -> str:
    found = []
    for item in info.metadata:
        for attribute, sign in _CONSTRAINTS.items():
            if (bound := getattr(item, attribute, None)) is not None:
                found.append(f"{sign} {bound}")
    return ", ".join(found)


def _section(model: type[BaseModel], env_prefix: str | None) -> list[str]:
    doc = inspect.cleandoc(model.__doc__ or "").split("\n\n")[0].replace("\n", " ")
    kind = "environment overrides" if issubclass(model, BaseSettings) else "nested" if env_prefix else "per request"
    lines = [f"## `{model.__name__}` ({kind})", "", doc, ""] if doc else [f"## `{model.__name__}` ({kind})", ""]
    header = "| field | type | default | constraints |" + (" environment variable |" if env_prefix else "")
    lines += [header + " what it does |", "|" + "---|" * (header.count("|"))]
    comments = field_comments(model)
    for name, info in model.model_fields.items():
        cells = [f"`{name}`", f"`{_type_name(info.annotation)}`", f"`{_default(info)}`", _constraints(info)]
        if env_prefix:
            cells.append(f"`{env_prefix}{name.upper()}`")
        cells.append(comments.get(name, ""))
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return [*lines, ""]


def reference_markdown() -> str:
    lines = [
        "# Configuration reference",
        "",
        "Generated from `enhanced_vllm/config.py` by `enhanced-vllm docs > docs/configuration.md` (a test checks",
        "it is current). Explicit arguments win over environment variables, which win over the defaults;",
        "invalid values raise `ConfigError` naming the field. `EngineArgsConfig` passes any other vLLM engine",
        "argument through unchanged.",
        "",
    ]
    for model, env_prefix in SECTIONS:
        lines += _section(model, env_prefix)
    return "\n".join(lines).rstrip() + "\n"
