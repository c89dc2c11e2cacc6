"""LangChain integration of enhanced-vllm: models on the in-process engine, caches for any model,
the question decomposer and the similar-question retriever."""

from langchain_enhanced_vllm.caches import EnhancedExactCache, EnhancedSemanticCache
from langchain_enhanced_vllm.chat_models import ChatEnhancedVLLM
from langchain_enhanced_vllm.decomposer import QuestionDecomposer
from langchain_enhanced_vllm.llms import EnhancedVLLM
from langchain_enhanced_vllm.retrievers import SimilarContextRetriever

__all__ = [
    "ChatEnhancedVLLM",
    "EnhancedExactCache",
    "EnhancedSemanticCache",
    "EnhancedVLLM",
    "QuestionDecomposer",
    "SimilarContextRetriever",
]
