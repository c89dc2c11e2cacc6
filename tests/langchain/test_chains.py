"""LCEL compositions on the real engine: decomposition chain and the similar-context retriever."""

from __future__ import annotations

import uuid

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda

from enhanced_vllm.semantic.cache import SemanticCache
from langchain_enhanced_vllm import QuestionDecomposer, SimilarContextRetriever
from tests.helpers import settle


def test_decomposer_is_a_runnable():
    decomposer = QuestionDecomposer()
    assert decomposer.invoke("What is the capital of France and what is the capital of Spain?") == [
        "What is the capital of France?",
        "What is the capital of Spain?",
    ]
    assert decomposer.batch(["What is AI?"]) == [["What is AI?"]]


def test_decompose_map_combine_chain_runs_end_to_end(chat):
    answer = ChatPromptTemplate.from_messages([("human", "{question}")]) | chat | StrOutputParser()
    chain = (
        QuestionDecomposer()
        | RunnableLambda(lambda questions: [{"question": q} for q in questions])
        | answer.map()
        | RunnableLambda(lambda answers: "\n".join(answers))
    )
    combined = chain.invoke("What is the capital of France and what is the capital of Spain?")
    assert len(combined.splitlines()) >= 2


async def test_decomposer_async_and_streaming():
    decomposer = QuestionDecomposer()
    assert await decomposer.ainvoke("Who wrote Hamlet and when was it written?") == [
        "Who wrote Hamlet?",
        "When was Hamlet written?",
    ]


def test_retriever_returns_similar_answered_questions(chat):
    topic = f"zx{uuid.uuid4().hex[:4]}"
    chat.invoke(f"What is the {topic} protocol used for?")
    settle(chat)
    retriever = SimilarContextRetriever.from_model(chat, k=3, score_threshold=0.5)
    documents = retriever.invoke(f"What's the {topic} protocol for?")
    assert documents, "the answered question should be found"
    best = documents[0]
    assert best.metadata["question"] == f"What is the {topic} protocol used for?"
    assert best.page_content.startswith("Q: ") and best.metadata["answer"]
    assert [d.metadata["score"] for d in documents] == sorted((d.metadata["score"] for d in documents), reverse=True)


def test_retriever_over_its_own_store():
    retriever = SimilarContextRetriever(semantic_cache=SemanticCache(_ephemeral()), k=2, score_threshold=0.3)
    retriever.semantic_cache.store_sync("How tall is Mount Everest?", "8849 m", "sig", "t")
    retriever.semantic_cache.store_sync("How tall is Mount Everest?", "8849 m", "sig", "t")  # deduplicated
    documents = retriever.invoke("What is the height of Mount Everest?")
    assert [d.metadata["question"] for d in documents] == ["How tall is Mount Everest?"]


def _ephemeral():
    from enhanced_vllm import SimilarityConfig

    return SimilarityConfig(chroma_mode="ephemeral", collection_name=f"c{uuid.uuid4().hex[:8]}")
