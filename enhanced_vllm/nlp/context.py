"""Context enhancement (opt-in, since it changes the prompt): for each sub-question of the prompt,
similar past questions and their answers from the semantic store are added before the prompt,
deduplicated across sub-questions. What was added is reported in ``metadata["similar_results"]``."""

from __future__ import annotations

import asyncio
from typing import Any

from enhanced_vllm.nlp.decomposer import decompose

HEADER = "Answers to similar earlier questions, for context:"


class ContextEnhancer:
    def __init__(self, semantic_cache: Any, k: int, threshold: float) -> None:
        self._cache = semantic_cache
        self._k = k
        self._threshold = threshold

    def enhance_sync(self, text: str, tenant: str | None = None) -> tuple[str, list[dict[str, Any]]]:
        """The prompt with context prepended (unchanged when nothing similar is stored), and the
        entries added: ``question``, ``answer``, ``score`` and the ``sub_question`` they matched."""
        sub_questions = decompose(text)
        added: dict[str, dict[str, Any]] = {}
        for sub_question, matches in zip(
            sub_questions, self._cache.batch_search(sub_questions, self._k, self._threshold, tenant), strict=True
        ):
            for match in matches:
                if match.question not in added or match.score > added[match.question]["score"]:
                    added[match.question] = {
                        "question": match.question,
                        "answer": match.answer,
                        "score": round(match.score, 4),
                        "sub_question": sub_question,
                    }
        if not added:
            return text, []
        entries = sorted(added.values(), key=lambda e: e["score"], reverse=True)
        context = "\n".join(f"Q: {e['question']}\nA: {e['answer'].strip()}" for e in entries)
        return f"{HEADER}\n{context}\n\n{text}", entries

    async def enhance(self, text: str, tenant: str | None = None) -> tuple[str, list[dict[str, Any]]]:
        return await asyncio.to_thread(self.enhance_sync, text, tenant)
