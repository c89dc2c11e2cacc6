"""``enhanced-vllm cache import|export|stats|clear``: the cache operations on the stores this
environment's configuration names (``ENHANCED_VLLM_CACHE_*``, ``ENHANCED_VLLM_SIMILARITY_*``), through
an engine on the configured model (its tokenizer, chat template and identity make the keys the
application's requests will have). Each prints one JSON object."""

from __future__ import annotations

from collections import Counter
from typing import Any

from enhanced_vllm.cache.portable import export_entries, import_entries, live_entries, read_jsonl, write_jsonl


async def run_cache_command(
    action: str, path: str | None = None, tenant: str | None = None, as_chat: bool = True, dry_run: bool = False
) -> dict[str, Any]:
    from enhanced_vllm import CacheConfig, EnhancedAsyncLLM, HandlerConfig, SimilarityConfig

    llm = EnhancedAsyncLLM(
        cache_config=CacheConfig(), handler_config=HandlerConfig(), similarity_config=SimilarityConfig()
    )
    try:
        await llm.follow_epoch()
        if action == "import":
            return (await import_entries(llm, read_jsonl(path), as_chat)).as_dict()
        if action == "export":
            return {"exported": write_jsonl(export_entries(llm), path), "file": path}
        if action == "stats":
            return await _stats(llm)
        if tenant is not None:
            return (await llm.invalidate_tenant(tenant, dry_run=dry_run)).as_dict()
        if dry_run:
            return {"dry_run": True, "would_retire": await _stats(llm)}
        return {"epoch": await llm.bump_epoch(), "retired": "every entry of the namespace, in every process"}
    finally:
        await llm.cleanup()


async def _stats(llm: Any) -> dict[str, Any]:
    stats: dict[str, Any] = {
        "namespace": llm.cache_config.namespace,
        "epoch": llm.keys.epoch,
        "epoch_source": llm.epochs.source,
    }
    if llm.redis is not None:
        stats["redis_entries"] = await llm.redis.count()
    if llm.semantic is not None:
        entries = live_entries(llm)  # counted from the stored metadata, nothing decoded
        stats["semantic_entries"] = len(entries)
        stats["semantic_by_tenant"] = dict(Counter(entry["tenant"] for entry in entries))
    return stats
