"""LlamaIndex query engines on the real engine: vector index, streaming, sub-questions, retriever."""

from __future__ import annotations

import uuid

import numpy as np
from llama_index.core import Settings, VectorStoreIndex
from llama_index.core.query_engine import SubQuestionQueryEngine, TransformQueryEngine
from llama_index.core.schema import QueryBundle
from llama_index.core.tools import QueryEngineTool, ToolMetadata

from enhanced_vllm.embeddings import shared_embedder
from llamaindex_enhanced_vllm import DecomposeQueryTransform, NLTKQuestionGenerator, SimilarQuestionRetriever
from tests.helpers import settle


def test_vector_index_query_engine_answers_and_repeats_are_cache_hits(li_llm, embed_model, documents):
    engine = VectorStoreIndex.from_documents(documents, embed_model=embed_model).as_query_engine(llm=li_llm)
    question = f"What is the capital of France? (asked {uuid.uuid4().hex[:6]})"
    answer = engine.query(question)
    assert str(answer).strip()
    stats = li_llm.runtime().llm.stats
    hits_before = stats.hits["memory"]
    assert str(engine.query(question)) == str(answer)
    assert stats.hits["memory"] > hits_before


def test_settings_llm_and_streaming_query_engine(li_llm, embed_model, documents):
    previous_llm, previous_embedding = Settings._llm, Settings._embed_model  # the getters resolve OpenAI
    Settings.llm, Settings.embed_model = li_llm, embed_model
    try:
        engine = VectorStoreIndex.from_documents(documents).as_query_engine(streaming=True)
        response = engine.query(f"Which museum is in Madrid? ({uuid.uuid4().hex[:6]})")
        tokens = list(response.response_gen)
    finally:
        Settings._llm, Settings._embed_model = previous_llm, previous_embedding
    assert len(tokens) > 1 and "".join(tokens).strip()


def test_sub_question_engine_with_two_tools_and_the_nltk_generator(li_llm, embed_model, documents):
    tools = [
        QueryEngineTool(
            VectorStoreIndex.from_documents([doc], embed_model=embed_model).as_query_engine(llm=li_llm),
            ToolMetadata(name=name, description=description),
        )
        for doc, name, description in (
            (documents[0], "france", "Facts about France and its capital Paris"),
            (documents[1], "spain", "Facts about Spain and its capital Madrid"),
        )
    ]
    engine = SubQuestionQueryEngine.from_defaults(
        query_engine_tools=tools, question_gen=NLTKQuestionGenerator(), llm=li_llm, use_async=False
    )
    response = engine.query("What is the capital of France and what is the capital of Spain?")
    assert str(response).strip()
    sub_answers = [n.node.text for n in response.source_nodes if n.node.text.startswith("Sub question:")]
    assert any("capital of France" in text for text in sub_answers)
    assert any("capital of Spain" in text for text in sub_answers)


def test_question_generator_routes_each_sub_question_to_the_best_tool():
    tools = [
        ToolMetadata(name="weather", description="Current weather and forecasts for cities"),
        ToolMetadata(name="stocks", description="Share prices and company financial results"),
    ]
    sub_questions = NLTKQuestionGenerator().generate(
        tools, QueryBundle("What is the weather in Oslo and what is the share price of Apple?")
    )
    assert [(s.sub_question, s.tool_name) for s in sub_questions] == [
        ("What is the weather in Oslo?", "weather"),
        ("What is the share price of Apple?", "stocks"),
    ]


def test_unmatched_sub_question_goes_to_every_tool():
    tools = [ToolMetadata(name="a", description="alpha"), ToolMetadata(name="b", description="beta")]
    sub_questions = NLTKQuestionGenerator(min_similarity=0.99).generate(
        tools, QueryBundle("Who painted the Mona Lisa?")
    )
    assert sorted(s.tool_name for s in sub_questions) == ["a", "b"]


def test_decompose_query_transform_adds_the_sub_questions(li_llm, embed_model, documents):
    transform = DecomposeQueryTransform()
    bundle = transform.run("What is the capital of France and what is the capital of Spain?")
    assert bundle.custom_embedding_strs == ["What is the capital of France?", "What is the capital of Spain?"]
    assert transform.run("What is AI?").custom_embedding_strs == ["What is AI?"]  # unchanged
    engine = TransformQueryEngine(
        VectorStoreIndex.from_documents(documents, embed_model=embed_model).as_query_engine(llm=li_llm), transform
    )
    assert str(engine.query("What is the capital of France and what is the capital of Spain?")).strip()


def test_similar_question_retriever(li_llm):
    topic = f"zx{uuid.uuid4().hex[:4]}"
    li_llm.complete(f"What is the {topic} protocol used for?")
    settle(li_llm)
    nodes = SimilarQuestionRetriever.from_llm(li_llm, k=3, score_threshold=0.5).retrieve(
        f"What's the {topic} protocol for?"
    )
    assert nodes and nodes[0].node.metadata["question"] == f"What is the {topic} protocol used for?"
    assert nodes[0].score >= 0.5


def test_embedding_adapter_is_the_semantic_caches_model(embed_model):
    vector = embed_model.get_query_embedding("hello world")
    assert len(vector) == 384
    assert np.allclose(vector, shared_embedder(None).embed(["hello world"])[0])
    first, second = embed_model.get_text_embedding_batch(["a cat", "a stock price"])
    assert np.dot(first, second) < 0.9
