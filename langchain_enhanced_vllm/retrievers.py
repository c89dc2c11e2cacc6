"""``SimilarContextRetriever``: similar past questions and their answers, from the semantic store."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from enhanced_vllm.config import SimilarityConfig
from enhanced_vllm.semantic.cache import SemanticCache


class SimilarContextRetriever(BaseRetriever):
    """Each document is one answered question (``page_content`` "Q: ...\\nA: ..."; metadata
    ``question``, ``answer``, ``score``), best first, deduplicated.

    ``SimilarContextRetriever.from_model(chat)`` reads the store of a model's engine (what it has
    answered); ``SimilarContextRetriever(semantic_cache=...)`` any core ``SemanticCache``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    semantic_cache: SemanticCache | None = Field(default=None, exclude=True)
    similarity_config: SimilarityConfig | None = None
    k: int = Field(default=4, ge=1)
    score_threshold: float = Field(default=0.6, ge=-1, le=1)
    tenant: str | None = None

    @classmethod
    def from_model(cls, model: Any, **kwargs: Any) -> SimilarContextRetriever:
        """Over the semantic store of ``model``'s engine (``ChatEnhancedVLLM`` or ``EnhancedVLLM``)."""
        semantic = model.runtime().llm.semantic
        if semantic is None:
            raise ValueError("the model's engine has no semantic store (similarity search is switched off)")
        return cls(semantic_cache=semantic, **kwargs)

    def _cache(self) -> SemanticCache:
        if self.semantic_cache is None:
            self.semantic_cache = SemanticCache(self.similarity_config or SimilarityConfig())
        return self.semantic_cache

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        """``k`` overrides the field for one call (``retriever.invoke(query, k=3)``)."""
        results = self._cache().search(query, k or self.k, self.score_threshold, self.tenant)
        return [
            Document(
                page_content=f"Q: {r.question}\nA: {r.answer}",
                metadata={"question": r.question, "answer": r.answer, "score": round(r.score, 4)},
            )
            for r in results
        ]
