"""Question decomposition for LlamaIndex without an LLM call: ``NLTKQuestionGenerator`` for
``SubQuestionQueryEngine`` and ``DecomposeQueryTransform`` for any query engine."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np
from llama_index.core.indices.query.query_transform.base import BaseQueryTransform
from llama_index.core.prompts.mixin import PromptDictType
from llama_index.core.question_gen.types import BaseQuestionGenerator, SubQuestion
from llama_index.core.schema import QueryBundle
from llama_index.core.tools.types import ToolMetadata

from enhanced_vllm.embeddings import shared_embedder
from enhanced_vllm.nlp.decomposer import decompose


class NLTKQuestionGenerator(BaseQuestionGenerator):
    """Sub-questions from the core decomposer (rules, no model: never fails to parse), each sent to
    the tool whose name and description are most similar to it; a sub-question no tool matches by at
    least ``min_similarity`` goes to every tool."""

    def __init__(self, min_similarity: float = 0.2, embedding_model: str | None = None) -> None:
        self.min_similarity = min_similarity
        self.embedding_model = embedding_model

    def _get_prompts(self) -> PromptDictType:
        return {}

    def _update_prompts(self, prompts: PromptDictType) -> None:
        """No prompts: nothing to update."""

    def generate(self, tools: Sequence[ToolMetadata], query: QueryBundle) -> list[SubQuestion]:
        questions = decompose(query.query_str)
        named = [t for t in tools if t.name]
        if not named:
            return []
        embedder = shared_embedder(self.embedding_model)
        vectors = embedder.embed([*questions, *(f"{t.name}: {t.description}" for t in named)])
        similarity = vectors[: len(questions)] @ vectors[len(questions) :].T
        sub_questions = []
        for question, scores in zip(questions, similarity, strict=True):
            best = int(np.argmax(scores))
            chosen = [named[best]] if scores[best] >= self.min_similarity else named
            sub_questions.extend(SubQuestion(sub_question=question, tool_name=t.name) for t in chosen)
        return sub_questions

    async def agenerate(self, tools: Sequence[ToolMetadata], query: QueryBundle) -> list[SubQuestion]:
        return await asyncio.to_thread(self.generate, tools, query)


class DecomposeQueryTransform(BaseQueryTransform):
    """Adds the decomposition to the query bundle: retrieval embeds each sub-question
    (``custom_embedding_strs``), the query string itself is unchanged."""

    def _get_prompts(self) -> PromptDictType:
        return {}

    def _update_prompts(self, prompts: PromptDictType) -> None:
        """No prompts: nothing to update."""

    def _run(self, query_bundle: QueryBundle, metadata: dict) -> QueryBundle:
        sub_questions = decompose(query_bundle.query_str)
        if len(sub_questions) < 2:
            return query_bundle
        return QueryBundle(query_str=query_bundle.query_str, custom_embedding_strs=sub_questions)
