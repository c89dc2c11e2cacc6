"""LlamaIndex integration of enhanced-vllm: the LLM on the in-process engine, the offline embedding,
LLM-free question decomposition and the similar-question retriever."""

from llamaindex_enhanced_vllm.embeddings import EnhancedEmbedding
from llamaindex_enhanced_vllm.llms import EnhancedVLLM
from llamaindex_enhanced_vllm.question_gen import DecomposeQueryTransform, NLTKQuestionGenerator
from llamaindex_enhanced_vllm.retrievers import SimilarQuestionRetriever

__all__ = [
    "DecomposeQueryTransform",
    "EnhancedEmbedding",
    "EnhancedVLLM",
    "NLTKQuestionGenerator",
    "SimilarQuestionRetriever",
]
