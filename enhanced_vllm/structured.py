"""JSON schemas for guided decoding that fit the token budget.

A small model can fill a free-text field until ``max_tokens`` runs out, and guided decoding then
stops mid-string: the reply is not a valid object. :func:`fit_to_budget` gives every unbounded
string a ``maxLength`` so that all of them together fit in ``max_tokens`` (at a conservative
1.5 characters per token), which the grammar enforces: the object always closes.
"""

from __future__ import annotations

import copy
from typing import Any

CHARS_PER_TOKEN = 1.5  # repetitive or unusual text tokenises densely; English averages ~4
TOKENS_PER_PROPERTY = 6  # key, quotes, colon, comma
MIN_LENGTH_CAP = 8


def _unbounded_strings(schema: Any, found: list[dict]) -> int:
    """Collect the unbounded string schemas in ``schema``; returns the number of properties seen."""
    if not isinstance(schema, dict):
        return 0
    properties = 0
    if schema.get("type") == "string" and not {"maxLength", "enum", "const", "format", "pattern"} & schema.keys():
        found.append(schema)
    for name in ("properties", "$defs", "definitions"):
        for child in (schema.get(name) or {}).values():
            properties += (name == "properties") + _unbounded_strings(child, found)
    for name in ("items", "additionalProperties"):
        properties += _unbounded_strings(schema.get(name), found)
    for name in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for child in schema.get(name) or []:
            properties += _unbounded_strings(child, found)
    return properties


def fit_to_budget(schema: dict[str, Any], max_tokens: int | None) -> dict[str, Any]:
    """A copy of ``schema`` whose unbounded strings share ``max_tokens`` (unchanged when None)."""
    if max_tokens is None:
        return schema
    fitted = copy.deepcopy(schema)
    strings: list[dict] = []
    properties = _unbounded_strings(fitted, strings)
    if strings:
        budget = max(max_tokens - TOKENS_PER_PROPERTY * properties, 0) * CHARS_PER_TOKEN
        cap = max(int(budget / len(strings)), MIN_LENGTH_CAP)
        for string in strings:
            string["maxLength"] = cap
    return fitted
