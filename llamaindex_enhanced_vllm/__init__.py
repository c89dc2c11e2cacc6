"""LlamaIndex integration of enhanced-vllm: the LLM on the in-process engine, the offline embedding,
LLM-free question decomposition, the similar-question retriever, and a response cache for any LlamaIndex LLM."""

from llamaindex_enhanced_vllm.cache import CachedLLM
from llamaindex_enhanced_vllm.embeddings import EnhancedEmbedding
from llamaindex_enhanced_vllm.llms import EnhancedVLLM
from llamaindex_enhanced_vllm.question_gen import DecomposeQueryTransform, NLTKQuestionGenerator
from llamaindex_enhanced_vllm.retrievers import SimilarQuestionRetriever

__all__ = [
    "CachedLLM",
    "DecomposeQueryTransform",
    "EnhancedEmbedding",
    "EnhancedVLLM",
    "NLTKQuestionGenerator",
    "SimilarQuestionRetriever",
]
