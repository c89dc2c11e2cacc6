"""The semantic stage: a paraphrase of an answered question gets the stored answer, but only within
the same sampling signature (model, output-affecting params, tenant) and only if the guard agrees.

Also the similar-question search that context enhancement and the retrievers read. Chroma or
embedding failures never fail a request: a lookup that errs is a miss and health says degraded.
Blocking work (embedding, Chroma) runs in a worker thread; the ``*_sync`` methods are the same code
for callers without an event loop (the evaluation command).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from enhanced_vllm.config import SimilarityConfig
from enhanced_vllm.embeddings import Embedder, shared_embedder
from enhanced_vllm.errors import ConfigError
from enhanced_vllm.semantic.guard import SalienceGuard
from enhanced_vllm.semantic.store import SemanticStore, StoredQuestion, make_client

logger = logging.getLogger(__name__)
_WORD = re.compile(r"\w+")


class SemanticCache:
    name = "semantic"

    def __init__(
        self,
        config: SimilarityConfig | None = None,
        embedder: Embedder | None = None,
        store: SemanticStore | None = None,
        guard: SalienceGuard | None = None,
    ) -> None:
        self.config = config or SimilarityConfig()
        if self.config.embedding_threads is not None:
            import torch

            torch.set_num_threads(self.config.embedding_threads)
        self.embedder = embedder or shared_embedder(self.config.embedding_model, self.config.embedding_dtype)
        if self.embedder.dimension != self.config.vector_dimension:
            raise ConfigError(
                f"SimilarityConfig.vector_dimension={self.config.vector_dimension} but the embedding model "
                f"{self.embedder.model_name} produces {self.embedder.dimension}-dimensional vectors"
            )
        self.store = store or SemanticStore(
            make_client(self.config), self.config.collection_name, self.config.ttl, self.config.max_entries
        )
        self.guard = guard or SalienceGuard()
        if self.config.enable_guard:
            self.guard.warm_up()
        # recent questions' embeddings: a miss's lookup embedding is reused when its answer is stored
        self._embedding = functools.lru_cache(maxsize=1024)(lambda text: self.embedder.embed([text])[0])
        # the stage's own threads, not asyncio's shared default executor: racing lookups ran on it with a
        # miss's TTFT 1.04-1.28x (4 bench runs), on these 1.01-1.04x (9 runs); the cause was not isolated
        self._threads = ThreadPoolExecutor(2, "semantic")
        self.last_error: str | None = None

    # --- the cache stage -------------------------------------------------------------------

    def lookup_sync(self, question: str, signature: str) -> StoredQuestion | None:
        """The best stored entry above the threshold that the guard accepts, or None."""
        try:
            embedding = self._embedding(question)[None, :]
            candidates = self.store.query(embedding, self.config.max_similar_results, signature)[0]
        except Exception as exc:
            self._failed("lookup", exc)
            return None
        self.last_error = None
        asked_threshold = self.threshold_for(question)
        for candidate in candidates:
            if candidate.score < self.config.similarity_threshold:
                break
            if candidate.score < max(asked_threshold, self.threshold_for(candidate.question)):
                continue  # a short question on either side needs a closer match
            if not self.config.enable_guard or self.guard.check(candidate.question, question).allowed:
                return candidate
        return None

    def threshold_for(self, question: str) -> float:
        """The score a match involving ``question`` needs: per entry, from the entry's question, and
        per request, from the question asked (a match needs both)."""
        config = self.config
        if config.short_question_threshold is not None and len(_WORD.findall(question)) < config.short_question_words:
            return max(config.similarity_threshold, config.short_question_threshold)
        return config.similarity_threshold

    def store_sync(
        self, question: str, answer: str, signature: str, tenant: str, output_blob: bytes | None = None
    ) -> None:
        try:
            embedding = self._embedding(question)
            self.store.add(embedding, question, answer, signature, tenant, output_blob)
        except Exception as exc:
            self._failed("store", exc)

    async def lookup(self, question: str, signature: str) -> StoredQuestion | None:
        return await asyncio.get_running_loop().run_in_executor(self._threads, self.lookup_sync, question, signature)

    async def store_answer(
        self, question: str, answer: str, signature: str, tenant: str, output_blob: bytes | None = None
    ) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._threads, self.store_sync, question, answer, signature, tenant, output_blob)

    # --- similar-question search -----------------------------------------------------------

    def batch_search(
        self, queries: list[str], k: int | None = None, threshold: float | None = None, tenant: str | None = None
    ) -> list[list[StoredQuestion]]:
        """Similar stored questions for each query (one embedding batch), deduplicated by question
        and sorted by score, best first."""
        k = k or self.config.max_similar_results
        threshold = self.config.similarity_threshold if threshold is None else threshold
        if not queries:
            return []
        results = self.store.query(self.embedder.embed(queries), k, tenant=tenant)
        deduplicated = []
        for candidates in results:
            seen: dict[str, StoredQuestion] = {}
            for c in candidates:
                if c.score >= threshold and (c.question not in seen or c.score > seen[c.question].score):
                    seen[c.question] = c
            deduplicated.append(sorted(seen.values(), key=lambda c: c.score, reverse=True))
        return deduplicated

    def search(
        self, query: str, k: int | None = None, threshold: float | None = None, tenant: str | None = None
    ) -> list[StoredQuestion]:
        return self.batch_search([query], k, threshold, tenant)[0]

    # --- lifecycle -------------------------------------------------------------------------

    def clear(self, tenant: str | None = None) -> None:
        self.store.clear(tenant)

    def health(self) -> dict[str, Any]:
        try:
            self.store.heartbeat()
        except Exception as exc:
            self._failed("heartbeat", exc)
            return {"status": "unhealthy", "error": self.last_error}
        self.last_error = None
        return {"status": "healthy", "entries": self.store.count()}

    def _failed(self, operation: str, exc: Exception) -> None:
        if self.last_error is None:
            logger.warning("semantic cache %s failed (%r); continuing without it", operation, exc)
        self.last_error = f"{operation}: {exc!r}"
