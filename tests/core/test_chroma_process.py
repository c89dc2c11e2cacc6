"""Chroma runs in a process of its own: its writes never hold the serving process's GIL, a process
that dies is replaced on the next call, and a collection that cannot open is a typed error. A persistent
folder serves one process: stages of one process share its Chroma process, a second process is refused
at once (Chroma's own file locks would block it for minutes)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from enhanced_vllm import SimilarityConfig
from enhanced_vllm.semantic.cache import SemanticCache
from enhanced_vllm.semantic.chroma_process import ChromaCollection, ChromaError
from enhanced_vllm.semantic.wire import decode_vectors, encode_vectors


def test_vectors_cross_the_pipe_exactly():
    vectors = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32)
    assert np.array_equal(decode_vectors(encode_vectors(vectors)), vectors)
    assert decode_vectors(encode_vectors([])).size == 0


def test_the_serving_process_never_imports_chromadb(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        from enhanced_vllm import SimilarityConfig
        from enhanced_vllm.semantic.cache import SemanticCache
        cache = SemanticCache(SimilarityConfig(chroma_path={str(tmp_path / "c")!r}))
        cache.store_sync("How do I learn Python quickly?", "Practice daily.", "s", "t")
        assert cache.lookup_sync("How can I learn Python quickly?", "s").answer == "Practice daily."
        assert cache.store.count() == 1
        cache.close()
        print(sorted(name for name in sys.modules if name.split(".")[0] == "chromadb"))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_a_dead_chroma_process_is_replaced_and_persisted_entries_survive(tmp_path):
    cache = SemanticCache(SimilarityConfig(chroma_path=tmp_path / "c"))
    cache.store_sync("What is the capital of France?", "Paris.", "s", "t")
    cache.store.count()
    collection = cache.store._collection
    collection._worker._process.kill()
    collection._worker._process.wait()
    assert cache.store.count() == 1, "the next call starts a new process on the same files"
    cache.store_sync("What is the capital of Italy?", "Rome.", "s", "t")
    assert cache.store.count() == 2 and cache.last_error is None
    cache.close()
    with pytest.raises(ChromaError, match="closed"):
        collection.count()
    reopened = SemanticCache(SimilarityConfig(chroma_path=tmp_path / "c"))
    assert reopened.lookup_sync("What's the capital of Italy?", "s").answer == "Rome."
    reopened.close()


def test_a_collection_that_cannot_open_is_a_typed_error():
    with pytest.raises(ChromaError):
        ChromaCollection(SimilarityConfig(chroma_mode="http", chroma_port=9, collection_name="unreachable"))


def test_stages_of_one_process_share_the_folders_chroma_process(tmp_path):
    first = SemanticCache(SimilarityConfig(chroma_path=tmp_path / "c"))
    second = SemanticCache(SimilarityConfig(chroma_path=tmp_path / "c"))
    assert first.store._collection._worker is second.store._collection._worker
    first.store_sync("What is the capital of France?", "Paris.", "s", "t")
    assert second.store.count() == 1 and second.health()["status"] == "healthy"
    first.close()  # the process stays for its other user
    second.store_sync("What is the capital of Italy?", "Rome.", "s", "t")
    assert second.store.count() == 2
    second.close()
    with pytest.raises(ChromaError, match="closed"):
        second.store._collection.count()


def test_a_second_process_on_the_same_folder_is_refused_at_once_with_what_to_do(tmp_path):
    cache = SemanticCache(SimilarityConfig(chroma_path=tmp_path / "c"))
    cache.store_sync("What is the capital of France?", "Paris.", "s", "t")
    script = textwrap.dedent(f"""
        from enhanced_vllm import SimilarityConfig
        from enhanced_vllm.semantic.chroma_process import ChromaCollection, ChromaError
        try:
            ChromaCollection(SimilarityConfig(chroma_path={str(tmp_path / "c")!r}))
        except ChromaError as exc:
            print(exc)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "is open in process" in result.stdout and "chroma_mode='http'" in result.stdout, result.stderr[-2000:]
    assert cache.store.count() == 1  # the owner is untouched
    cache.close()
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == "", "free again once the owner closed it"
