"""The semantic stage: a paraphrase of an answered question gets the stored answer, but only within
the same sampling signature (model, output-affecting params, tenant) and only if the guard agrees.

Also the similar-question search that context enhancement and the retrievers read. Chroma or
embedding failures never fail a request: a lookup that errs is a miss and health says degraded.
Blocking work runs on the stage's worker threads (``semantic.worker``): one answers concurrent
lookups with one embedding call and a query of the in-process index, one writes stores in batches
from a bounded queue to Chroma, which runs in a process of its own (``semantic.chroma_process``);
the ``*_sync`` methods are the same code for callers without an event loop.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict, defaultdict
from typing import Any

import numpy as np

from enhanced_vllm.config import DEFAULT_CACHE_CONTROL, CacheControl, SimilarityConfig
from enhanced_vllm.embeddings import Embedder, shared_embedder
from enhanced_vllm.errors import ConfigError
from enhanced_vllm.semantic.chroma_process import ChromaCollection
from enhanced_vllm.semantic.guard import SalienceGuard
from enhanced_vllm.semantic.store import SemanticStore, StoredQuestion
from enhanced_vllm.semantic.telemetry import LookupTelemetry
from enhanced_vllm.semantic.worker import BatchWorker

logger = logging.getLogger(__name__)
_WORD = re.compile(r"\w+")
EMBEDDING_MEMO = 1024  # recent questions' embeddings: a miss's lookup embedding is reused to store it
# (question, answer, signature, tenant, output blob, ttl): one answer to store; ttl None: the store's
StoreRow = tuple[str, str, str, str, "bytes | None", "float | None"]


def word_count(text: str) -> int:
    """Words as the short-question rule counts them."""
    return len(_WORD.findall(text))


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
        self.embedder = embedder or shared_embedder(
            self.config.embedding_model, self.config.embedding_dtype, self.config.embedding_device
        )
        if self.config.embedding_threads is not None:  # on a GPU too: its CPU pool only spins there
            import torch

            torch.set_num_threads(self.config.embedding_threads)
        if self.embedder.dimension != self.config.vector_dimension:
            raise ConfigError(
                f"SimilarityConfig.vector_dimension={self.config.vector_dimension} but the embedding model "
                f"{self.embedder.model_name} produces {self.embedder.dimension}-dimensional vectors"
            )
        self.store = store or SemanticStore(
            ChromaCollection(self.config),
            self.config.ttl,
            self.config.max_entries,
            self.embedder.dimension,
            shared=self.config.chroma_mode == "http",
            device=self.embedder.device,
        )
        self.guard = guard or SalienceGuard()
        self.telemetry = LookupTelemetry(self.config.collection_name)
        if self.config.enable_guard:
            self.guard.warm_up()
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self._memo_lock = threading.Lock()
        self.worker = BatchWorker(self.lookup_many_sync, self._store_rows, self.config.max_pending_stores)
        self.last_error: str | None = None

    # --- the cache stage -------------------------------------------------------------------

    def lookup_sync(
        self, question: str, signature: str, control: CacheControl = DEFAULT_CACHE_CONTROL
    ) -> StoredQuestion | None:
        """The best stored entry above the threshold that the guard accepts, or None."""
        return self.lookup_many_sync([(question, signature, control)])[0]

    def lookup_many_sync(self, lookups: list[tuple]) -> list[StoredQuestion | None]:
        """:meth:`lookup_sync` for many (question, signature[, control]) tuples: one embedding call,
        one index query per signature."""
        try:
            vectors = self.embed([question for question, *_ in lookups])
            rows_by_signature: dict[str, list[int]] = defaultdict(list)
            for row, (_, signature, *_) in enumerate(lookups):
                rows_by_signature[signature].append(row)
            candidates: list[list[StoredQuestion]] = [[] for _ in lookups]
            for signature, rows in rows_by_signature.items():
                found = self.store.query(vectors[rows], self.config.max_similar_results, signature)
                for row, entries in zip(rows, found, strict=True):
                    candidates[row] = entries
        except Exception as exc:
            self._failed("lookup", exc)
            return [None] * len(lookups)
        self.last_error = None
        return [
            self._accept(question, found, *control)
            for (question, _, *control), found in zip(lookups, candidates, strict=True)
        ]

    def _accept(
        self, question: str, candidates: list[StoredQuestion], control: CacheControl = DEFAULT_CACHE_CONTROL
    ) -> StoredQuestion | None:
        """The best candidate above the request's thresholds, young enough, that the guard accepts;
        the decision and, for a miss, the nearest candidate's reason go to ``telemetry``."""
        thresholds = control.thresholds(self.config)
        asked_threshold = self.threshold_for(question, thresholds)
        nearest = candidates[0].score if candidates else None
        reasons = []  # why each candidate above the threshold was turned down, nearest first
        now = time.time()
        for candidate in candidates:
            if candidate.score < thresholds[0]:
                break
            if candidate.score < max(asked_threshold, self.threshold_for(candidate.question, thresholds)):
                reasons.append("short question")  # a short question on either side needs a closer match
                continue
            if not control.fresh(candidate.metadata.get("created_at"), now):
                reasons.append("too old")
                continue
            verdict = self.guard.check(candidate.question, question) if self.config.enable_guard else None
            if verdict is None or verdict.allowed:
                self.telemetry.record(question, nearest, "hit")
                return candidate
            reasons.append(verdict.reason)
        if reasons:
            self.telemetry.record(question, nearest, "miss", reasons[0], candidates[0].question)
        else:
            self.telemetry.record(question, nearest, "miss", "score" if candidates else "no entry")
        return None

    def threshold_for(self, question: str, thresholds: tuple[float, float | None] | None = None) -> float:
        """The score a match involving ``question`` needs: per entry, from the entry's question, and
        per request, from the question asked (a match needs both). ``thresholds``: (similarity,
        short question) of the request, default the configured ones."""
        threshold, short = thresholds or (self.config.similarity_threshold, self.config.short_question_threshold)
        if short is not None and word_count(question) < self.config.short_question_words:
            return max(threshold, short)
        return threshold

    def store_sync(
        self,
        question: str,
        answer: str,
        signature: str,
        tenant: str,
        output_blob: bytes | None = None,
        ttl: float | None = None,
    ) -> None:
        self._store_rows([(question, answer, signature, tenant, output_blob, ttl)])

    def _store_rows(self, rows: list[StoreRow]) -> None:
        try:
            vectors = self.embed([question for question, *_ in rows])
            self.store.add_many([(vector, *row) for vector, row in zip(vectors, rows, strict=True)])
        except Exception as exc:
            self._failed("store", exc)

    async def lookup(
        self, question: str, signature: str, control: CacheControl = DEFAULT_CACHE_CONTROL
    ) -> StoredQuestion | None:
        """:meth:`lookup_sync` on the lookup thread, batched with the other lookups waiting."""
        return await self.worker.lookup((question, signature, control))

    def store_answer(
        self,
        question: str,
        answer: str,
        signature: str,
        tenant: str,
        output_blob: bytes | None = None,
        ttl: float | None = None,
    ) -> bool:
        """Queue the answer for storing (kept ``ttl`` s, default the store's); False when the store
        queue is full and it is skipped."""
        return self.worker.store((question, signature), (question, answer, signature, tenant, output_blob, ttl))

    def flush(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` s) until queued stores are written; False if some are left."""
        return self.worker.wait_idle(timeout)

    def close(self, timeout: float = 5.0) -> bool:
        """Write the queued stores (at most ``timeout`` s), stop the worker and the Chroma process."""
        drained = self.worker.close(timeout)
        self.store.close()
        return drained

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embeddings of ``texts``, in one model call for those not embedded recently."""
        with self._memo_lock:
            known = {text: self._memo[text] for text in texts if text in self._memo}
        missing = list(dict.fromkeys(text for text in texts if text not in known))
        if missing:
            fresh = dict(zip(missing, self.embedder.embed(missing), strict=True))
            known.update(fresh)
            with self._memo_lock:
                self._memo.update(fresh)
                while len(self._memo) > EMBEDDING_MEMO:
                    self._memo.popitem(last=False)
        return np.stack([known[text] for text in texts])

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
        results = self.store.query(self.embed(queries), k, tenant=tenant)
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

    def neighbourhood(self, question: str, threshold: float, tenant: str | None = None) -> list[StoredQuestion]:
        """Every live entry, of any signature (of ``tenant``, None: any), whose question is at least
        ``threshold`` similar to ``question``, best first."""
        if not (size := len(self.store.index)):
            return []
        found = self.store.query(self.embed([question]), size, tenant=tenant)[0]
        return [entry for entry in found if entry.score >= threshold]

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
