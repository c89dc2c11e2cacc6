"""The semantic stage's in-process mirror and its worker: exact search, batching, bounded stores."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from enhanced_vllm import SimilarityConfig
from enhanced_vllm.semantic.cache import SemanticCache
from enhanced_vllm.semantic.index import VectorIndex
from enhanced_vllm.semantic.worker import BatchWorker
from tests.helpers import LocalChromaServer


def _meta(signature: str, tenant: str = "t", ttl: float = 60, created: float | None = None) -> dict:
    now = time.time() if created is None else created
    return {"signature": signature, "tenant": tenant, "created_at": now, "expires_at": now + ttl, "question": "q"}


def _unit(rng: np.random.Generator, n: int, d: int = 8) -> np.ndarray:
    vectors = rng.normal(size=(n, d)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_index_matches_brute_force_within_a_signature_and_skips_the_rest():
    rng = np.random.default_rng(0)
    vectors = _unit(rng, 200)
    index = VectorIndex(8)
    index.add([f"id{i}" for i in range(200)], vectors, [_meta("a" if i % 2 else "b") for i in range(200)])
    query = _unit(rng, 3)
    found = index.query(query, 5, signature="a")
    odd = np.arange(1, 200, 2)
    for row, results in enumerate(found):
        expected = np.sort(vectors[odd] @ query[row])[::-1][:5]
        assert [score for score, _ in results] == pytest.approx(expected.tolist(), abs=1e-5)
        assert {m["signature"] for _, m in results} == {"a"}
    assert index.query(query, 5, signature="missing") == [[], [], []]


def test_index_removal_keeps_positions_right_and_filters_expired_and_tenants():
    rng = np.random.default_rng(1)
    vectors = _unit(rng, 6)
    index = VectorIndex(8)
    metas = [_meta("s", tenant="alice" if i < 3 else "bob") for i in range(6)]
    metas[5] = _meta("s", tenant="bob", ttl=-1)  # expired
    index.add([f"id{i}" for i in range(6)], vectors, metas)
    index.remove(["id0"])  # id4 or id5 moves into its slot
    assert len(index) == 5 and "id0" not in index
    for i in range(1, 5):  # every live entry is still its own nearest neighbour
        best_score, best_meta = index.query(vectors[i : i + 1], 1, signature="s")[0][0]
        assert best_meta is metas[i] and best_score == pytest.approx(1.0, abs=1e-5)
    assert index.query(vectors[5:6], 6, signature="s")[0][0][1] is not metas[5], "expired entries never match"
    assert {m["tenant"] for _, m in index.query(vectors[:1], 6, tenant="alice")[0]} == {"alice"}
    assert sorted(index.ids_where(tenant="bob")) == ["id3", "id4", "id5"]
    assert index.ids_where(expired_before=time.time()) == ["id5"]
    index.remove(index.ids_where(tenant="alice"))
    assert sorted(index.ids_where()) == ["id3", "id4", "id5"]


async def test_concurrent_lookups_share_one_batch_call():
    calls, release = [], threading.Event()

    def lookup_batch(items):
        calls.append(list(items))
        release.wait(5)
        return [item * 2 for item in items]

    worker = BatchWorker(lookup_batch, lambda rows: None, max_pending_stores=4)
    first = asyncio.ensure_future(worker.lookup(1))
    await asyncio.sleep(0.05)  # the worker is busy with the first lookup: the next ones wait together
    rest = [asyncio.ensure_future(worker.lookup(i)) for i in range(2, 12)]
    await asyncio.sleep(0.05)
    release.set()
    assert await asyncio.gather(first, *rest) == [2 * i for i in range(1, 12)]
    assert calls == [[1], list(range(2, 12))]
    worker.close(1)


def test_store_queue_is_bounded_coalesced_and_drained_on_close():
    written, gate = [], threading.Event()

    def store_batch(rows):
        gate.wait(5)
        written.extend(rows)

    worker = BatchWorker(lambda items: items, store_batch, max_pending_stores=3)
    assert worker.store("busy", "b")
    time.sleep(0.05)  # "busy" is being written; three more fit in the queue
    assert [worker.store(k, k) for k in ("a", "b", "c", "d")] == [True, True, True, False]
    assert worker.store("a", "a2"), "a pending key is replaced, not queued twice"
    gate.set()
    assert worker.close(5) and written == ["b", "a2", "b", "c"]
    assert not worker.store("late", "x"), "a closed worker takes no stores"


def test_http_mode_sees_entries_another_process_stored(tmp_path):
    server = LocalChromaServer(tmp_path / "server").start()
    try:
        config = SimilarityConfig(chroma_mode="http", chroma_port=server.port, collection_name="shared_mirror")
        a, b = SemanticCache(config), SemanticCache(config)
        a.store_sync("How do I learn Python quickly?", "Practice daily.", "s", "t")
        deadline, hit = time.monotonic() + 10, None
        while hit is None and time.monotonic() < deadline:  # b's refresh thread pulls it (every 1 s)
            hit = b.lookup_sync("How can I learn Python quickly?", "s")
            time.sleep(0.1)
        assert hit is not None and hit.answer == "Practice daily."
        a.close(), b.close()
    finally:
        server.stop()


def test_size_bound_evicts_oldest_from_mirror_and_chroma(tmp_path):
    cache = SemanticCache(SimilarityConfig(chroma_mode="persistent", chroma_path=tmp_path / "c", max_entries=2))
    for i, city in enumerate(("Paris", "Rome", "Madrid")):
        cache.store_sync(f"What is the population of {city}?", str(i), "s", "t")
    assert len(cache.store.index) == 2 and cache.store.count() == 2
    assert cache.lookup_sync("What is the population of Paris?", "s") is None, "the oldest went"
    assert cache.lookup_sync("What is the population of Madrid?", "s").answer == "2"
    cache.close()
