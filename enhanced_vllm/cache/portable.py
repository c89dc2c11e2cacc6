"""Warm-up and portability: import question/answer pairs into every level, export the stored ones.

One JSONL row per entry: ``{"question", "answer", "tenant"?, "sampling"?, "metadata"?}``. An imported
question is keyed as a one-message conversation (``as_chat=True``: the chat template, as the LangChain
and LlamaIndex chat models and ``llm.chat`` send it) or as the bare prompt, with the adapters' default
sampling (``DEFAULT_SAMPLING``) unless the row gives its own, so the application's own requests hit it:
the same question exactly, a paraphrase through the semantic stage.

Every row is checked before anything is written; bad rows are reported with their line numbers and
skipped, the rest imported. Importing is idempotent: an entry already stored (same key and question)
is left as it is. Export reads the semantic store (the level that keeps the questions) and writes rows
that import back into the same entries; an answer the engine generated there has no ``sampling``
(its key keeps only a digest of it), so it comes back with the default sampling.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from vllm import SamplingParams
from vllm.exceptions import VLLMValidationError
from vllm.outputs import CompletionOutput, RequestOutput

from enhanced_vllm.cache import codec
from enhanced_vllm.cache.keys import CacheKey
from enhanced_vllm.progress import progress

if TYPE_CHECKING:
    from enhanced_vllm.engine import EnhancedAsyncLLM

# what the adapters send by default (EngineSettings): imported answers serve their calls as they are
DEFAULT_SAMPLING: dict[str, Any] = {"temperature": 0.0, "max_tokens": 256}
EMBED_BATCH = 64


class PortableEntry(BaseModel):
    """One row of an import or export file."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    answer: str
    tenant: str | None = None
    sampling: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None

    def row(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


@dataclasses.dataclass
class ImportReport:
    imported: int = 0
    already_present: int = 0
    errors: list[tuple[int, str]] = dataclasses.field(default_factory=list)  # (line number, what is wrong)

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "errors": [{"line": n, "error": e} for n, e in self.errors]}


@dataclasses.dataclass
class _Prepared:
    line: int
    entry: PortableEntry
    key: CacheKey
    blob: bytes


def read_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed row or the JSON error) for each non-blank line."""
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, exc


def write_jsonl(rows: Iterable[dict[str, Any]], path: str | Path) -> int:
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def _entry_id(key: CacheKey) -> str:
    """The semantic entry's id for an imported question: the same row imports into the same entry."""
    return hashlib.sha256(f"{key.signature}\0{key.prompt_text}".encode()).hexdigest()[:32]


def _prepare(llm: EnhancedAsyncLLM, line: int, row: Any, as_chat: bool) -> _Prepared:
    """The row checked and turned into its key and stored value; raises ValueError saying what is wrong."""
    if isinstance(row, Exception):
        raise ValueError(f"not JSON: {row}")
    try:
        entry = PortableEntry.model_validate(row)
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in exc.errors()]
        raise ValueError("; ".join(problems)) from None
    try:
        params = SamplingParams(**{**DEFAULT_SAMPLING, **(entry.sampling or {})})
    except (TypeError, ValueError, VLLMValidationError) as exc:
        raise ValueError(f"sampling: {exc}") from None
    if as_chat:
        prompt, question = llm.render_chat([{"role": "user", "content": entry.question}])
    else:
        prompt, question = entry.question, entry.question
    key = llm.key_for(prompt, params, tenant=entry.tenant, question=question)
    if key is None:
        raise ValueError("sampling: not cacheable (temperature > 0 needs a seed)")
    tokenizer = llm.tokenizer
    output = RequestOutput(
        request_id="import",
        prompt=prompt,
        prompt_token_ids=tokenizer.encode(prompt, add_special_tokens=False),
        prompt_logprobs=None,
        outputs=[
            CompletionOutput(
                index=0,
                text=entry.answer,
                token_ids=tokenizer.encode(entry.answer, add_special_tokens=False),
                cumulative_logprob=None,
                logprobs=None,
                finish_reason="stop",
            )
        ],
        finished=True,
    )
    return _Prepared(line, entry, key, codec.encode(output, llm.cache_config.enable_compression))


async def import_entries(
    llm: EnhancedAsyncLLM, rows: Iterable[tuple[int, Any]], as_chat: bool = True
) -> ImportReport:
    """Import (line number, row) pairs (see :func:`read_jsonl`) into ``llm``'s levels."""
    report = ImportReport()
    prepared = []
    for line, row in rows:
        try:
            prepared.append(_prepare(llm, line, row, as_chat))
        except ValueError as exc:
            report.errors.append((line, str(exc)))
    semantic = llm.semantic
    written: set[str] = set()  # semantic ids of this import (a row given twice is written once)
    with progress(total=len(prepared), desc="importing", unit="entry") as bar:
        for start in range(0, len(prepared), EMBED_BATCH):
            batch = prepared[start : start + EMBED_BATCH]
            fresh_semantic = []
            for item in batch:
                in_exact = llm.memory.lookup(item.key.digest) is not None or (
                    llm.redis is not None and await llm.redis.lookup(item.key.tenant, item.key.digest) is not None
                )
                entry_id = _entry_id(item.key)
                needs_semantic = bool(semantic is not None and item.key.prompt_text) and entry_id not in written
                if needs_semantic:
                    written.add(entry_id)
                    needs_semantic = entry_id not in semantic.store.index
                if not in_exact:
                    llm.exact.store(item.key, item.blob)
                if needs_semantic:
                    fresh_semantic.append(item)
                if in_exact and not needs_semantic:
                    report.already_present += 1
                else:
                    report.imported += 1
            if fresh_semantic:
                await asyncio.to_thread(_store_semantic, llm, fresh_semantic)
            bar.update(len(batch))
    await llm.flush_cache_writes()
    return report


def _store_semantic(llm: EnhancedAsyncLLM, items: list[_Prepared]) -> None:
    vectors = llm.semantic.embed([item.key.prompt_text for item in items])
    rows = [
        (vector, item.key.prompt_text, item.entry.answer, item.key.signature, item.key.tenant, item.blob, None)
        for vector, item in zip(vectors, items, strict=True)
    ]
    extras = [
        {
            **({"sampling": json.dumps(item.entry.sampling)} if item.entry.sampling is not None else {}),
            **({"user_metadata": json.dumps(item.entry.metadata)} if item.entry.metadata is not None else {}),
        }
        for item in items
    ]
    llm.semantic.store.add_many(rows, [_entry_id(item.key) for item in items], extras)


def live_entries(llm: EnhancedAsyncLLM) -> list[dict[str, Any]]:
    """The stored metadata of every live semantic entry in this namespace's current epoch."""
    if llm.semantic is None:
        raise ValueError("export reads the semantic store, which this engine does not run")
    now, epoch, namespace = time.time(), llm.keys.epoch, llm.cache_config.namespace
    return [
        m
        for m in llm.semantic.store.find({"expires_at": {"$gt": now}})
        if m.get("epoch", 0) == epoch and m.get("namespace", namespace) == namespace
    ]


def export_entries(llm: EnhancedAsyncLLM) -> list[dict[str, Any]]:
    """Every live entry of the semantic store in this namespace's current epoch, as import rows."""
    namespace = llm.cache_config.namespace
    return [
        PortableEntry(
            question=m["question"],
            answer=m["answer"],
            tenant=None if m["tenant"] == namespace else m["tenant"],  # the default tenant
            sampling=json.loads(m["sampling"]) if "sampling" in m else None,
            metadata=json.loads(m["user_metadata"]) if "user_metadata" in m else None,
        ).row()
        for m in live_entries(llm)
    ]
