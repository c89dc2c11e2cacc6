"""``SimilarQuestionRetriever``: similar past questions and their answers from the semantic store."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from enhanced_vllm.config import SimilarityConfig
from enhanced_vllm.semantic.cache import SemanticCache


class SimilarQuestionRetriever(BaseRetriever):
    """Each node is one answered question ("Q: ...\\nA: ..."; metadata ``question``, ``answer``),
    scored by similarity, best first, deduplicated. ``from_llm(EnhancedVLLM())`` reads the store of
    that LLM's engine; or pass any core ``SemanticCache``."""

    def __init__(
        self,
        semantic_cache: SemanticCache | None = None,
        k: int = 4,
        score_threshold: float = 0.6,
        tenant: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.semantic_cache = semantic_cache or SemanticCache(SimilarityConfig())
        self.k = k
        self.score_threshold = score_threshold
        self.tenant = tenant

    @classmethod
    def from_llm(cls, llm: Any, **kwargs: Any) -> SimilarQuestionRetriever:
        semantic = llm.runtime().llm.semantic
        if semantic is None:
            raise ValueError("the LLM's engine has no semantic store (similarity search is switched off)")
        return cls(semantic, **kwargs)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        results = self.semantic_cache.search(query_bundle.query_str, self.k, self.score_threshold, self.tenant)
        return [
            NodeWithScore(
                node=TextNode(
                    text=f"Q: {r.question}\nA: {r.answer}", metadata={"question": r.question, "answer": r.answer}
                ),
                score=r.score,
            )
            for r in results
        ]
