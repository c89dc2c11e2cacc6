"""ChatEnhancedVLLM and EnhancedVLLM on the real engine: chains, streaming, cache hits, structured
output, tools, and sync calls from inside a running event loop (the Jupyter case)."""

from __future__ import annotations

import asyncio
import uuid
from typing import TypedDict

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel

from enhanced_vllm.errors import GenerationFailed
from langchain_enhanced_vllm import ChatEnhancedVLLM, EnhancedVLLM
from tests.helpers import ADAPTER_SETTINGS, settle


def _topic() -> str:
    return f"lighthouse number {uuid.uuid4().hex[:6]}"


def test_constructing_a_model_starts_nothing():
    model = ChatEnhancedVLLM(model="/no/such/model", max_tokens=5)
    assert model._runtime is None
    assert model.model_name == "/no/such/model"


def test_model_objects_share_one_engine(chat):
    other_chat = ChatEnhancedVLLM(max_tokens=7, **ADAPTER_SETTINGS)
    llm = EnhancedVLLM(**ADAPTER_SETTINGS)
    assert other_chat.runtime().llm is chat.runtime().llm is llm.runtime().llm


def test_chain_answers_and_the_repeat_is_a_cache_hit(chat):
    prompt = ChatPromptTemplate.from_messages([("system", "Answer in one sentence."), ("human", "{question}")])
    question = f"What is the tallest {_topic()}?"
    answer = (prompt | chat | StrOutputParser()).invoke({"question": question})
    assert isinstance(answer, str) and answer.strip()

    first = (prompt | chat).invoke({"question": question})
    assert first.content == answer
    assert first.response_metadata["cached"] is True
    assert first.response_metadata["cache_level"] == "memory"
    assert first.response_metadata["finish_reason"] in ("stop", "length")
    assert first.usage_metadata["input_tokens"] > 0 and first.usage_metadata["output_tokens"] > 0


async def test_astream_yields_tokens_on_a_miss_and_the_hit_streams_too(chat):
    question = f"Describe the {_topic()} in two sentences."
    chunks = [chunk async for chunk in chat.astream(question)]
    assert len(chunks) > 1
    assert chunks[-1].chunk_position == "last"
    assert chunks[-1].response_metadata["cached"] is False
    assert chunks[-1].usage_metadata["output_tokens"] > 1
    full = "".join(c.content for c in chunks)

    hit_chunks = [chunk async for chunk in chat.astream(question)]
    assert "".join(c.content for c in hit_chunks) == full
    assert hit_chunks[-1].response_metadata["cache_level"] == "memory"


def test_stream_reports_each_token_to_callbacks(chat):
    class Tokens(BaseCallbackHandler):
        def __init__(self) -> None:
            self.tokens: list[str] = []

        def on_llm_new_token(self, token: str, **kwargs) -> None:
            self.tokens.append(token)

    handler = Tokens()
    chunks = list(chat.stream(f"List three facts about the {_topic()}.", config={"callbacks": [handler]}))
    assert len(handler.tokens) > 1
    assert "".join(handler.tokens) == "".join(c.content for c in chunks)


async def test_sync_invoke_works_inside_a_running_event_loop(chat):
    """A Jupyter cell runs inside the kernel's event loop; a blocking invoke there must not deadlock."""
    asyncio.get_running_loop()
    message = chat.invoke(f"Name the {_topic()}.")
    assert message.content


async def test_astream_does_not_block_the_callers_loop(chat):
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        chunks = [c async for c in chat.astream(f"Write four sentences about the {_topic()}.", max_tokens=40)]
    finally:
        task.cancel()
    assert len(chunks) > 1 and ticks > 5


def test_paraphrase_is_a_semantic_hit_only_in_the_same_conversation(chat):
    topic = f"zx{uuid.uuid4().hex[:4]}"
    system = SystemMessage("You are a concise assistant.")
    chat.invoke([system, HumanMessage(f"How do I learn the {topic} language quickly?")])
    settle(chat)
    paraphrase = chat.invoke([system, HumanMessage(f"How can I learn the {topic} language quickly?")])
    assert paraphrase.response_metadata["cache_level"] == "semantic"
    assert paraphrase.response_metadata["similarity"] >= 0.9

    other_context = chat.invoke(
        [SystemMessage("Answer in French."), HumanMessage(f"How can I learn the {topic} language quickly?")]
    )
    assert other_context.response_metadata["cached"] is False


def test_sampling_fields_and_call_kwargs_map_to_sampling_params():
    model = ChatEnhancedVLLM(max_tokens=11, temperature=0.3, top_p=0.9, top_k=5, seed=7, stop=["\n"])
    params = model.sampling_params(None, False)
    assert (params.max_tokens, params.temperature, params.top_p, params.top_k, params.seed) == (11, 0.3, 0.9, 5, 7)
    assert params.stop == ["\n"]
    overridden = model.sampling_params(["END"], True, max_tokens=3, temperature=0)
    assert (overridden.max_tokens, overridden.temperature, overridden.stop) == (3, 0, ["END"])
    with pytest.raises(ValueError, match="cannot switch"):
        model.sampling_params(None, False, model="another-model")


def test_stop_and_max_tokens_reach_the_engine(chat):
    message = chat.invoke(f"Count from one to twenty about the {_topic()}.", max_tokens=3)
    assert message.usage_metadata["output_tokens"] <= 3
    assert message.response_metadata["finish_reason"] == "length"


class Person(BaseModel):
    name: str
    age: int


class City(TypedDict):
    city: str
    country: str


@pytest.mark.parametrize(
    ("schema", "check"),
    [
        (Person, lambda r: isinstance(r, Person) and isinstance(r.age, int)),
        (City, lambda r: set(r) == {"city", "country"}),
        (
            {"title": "Score", "type": "object", "properties": {"score": {"type": "integer"}}, "required": ["score"]},
            lambda r: isinstance(r["score"], int),
        ),
    ],
)
def test_structured_output_is_enforced_for_every_schema_kind(chat, schema, check):
    result = chat.with_structured_output(schema).invoke(f"Describe the keeper of the {_topic()}.")
    assert check(result)


def test_structured_output_keeps_the_schema_in_the_cache_key(chat):
    question = f"Tell me about the keeper of the {_topic()}."
    person = chat.with_structured_output(Person).invoke(question)
    assert isinstance(person, Person)
    raw = chat.with_structured_output(City, include_raw=True).invoke(question)
    assert raw["raw"].response_metadata["cached"] is False  # same prompt, other schema: no reuse
    assert set(raw["parsed"]) == {"city", "country"}
    again = chat.with_structured_output(Person, include_raw=True).invoke(question)
    assert again["raw"].response_metadata["cached"] is True
    assert again["parsed"] == person


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return "sunny"


def test_forced_tool_call_is_valid(chat):
    message = chat.bind_tools([get_weather], tool_choice="any").invoke("What is the weather in Paris?")
    assert len(message.tool_calls) == 1
    assert message.tool_calls[0]["name"] == "get_weather"
    assert isinstance(message.tool_calls[0]["args"]["city"], str)


def test_parallel_tool_calls_when_asked(chat):
    tool_chat = chat.bind_tools([get_weather], tool_choice="any", parallel_tool_calls=True)
    message = tool_chat.invoke("What is the weather in Rome and in Lima?", max_tokens=128)
    assert message.tool_calls and all(c["name"] == "get_weather" for c in message.tool_calls)
    assert all(isinstance(c["args"]["city"], str) for c in message.tool_calls)


def test_nested_tool_arguments_compile_and_validate(chat):
    """A pydantic tool with a nested model: its ``$defs`` must move to the guided schema's root."""

    class Address(BaseModel):
        city: str

    class Move(BaseModel):
        """Move a person to an address."""

        person: str
        to: Address

    message = chat.bind_tools([Move], tool_choice="Move").invoke("Move Ana to Porto.", max_tokens=128)
    assert Move.model_validate(message.tool_calls[0]["args"]).to.city


def test_a_tool_calling_turn_is_never_a_semantic_hit(chat):
    tool_chat = chat.bind_tools([get_weather], tool_choice="any")
    city = f"Zx{uuid.uuid4().hex[:4]}ville"
    first = tool_chat.invoke(f"What is the weather in {city} today?")
    settle(chat)
    again = tool_chat.invoke(f"What is the weather in {city} today?")
    assert again.response_metadata["cache_level"] == "memory"
    assert [(c["name"], c["args"]) for c in again.tool_calls] == [(c["name"], c["args"]) for c in first.tool_calls]
    rephrased = tool_chat.invoke(f"What's the weather in {city} today?")
    assert rephrased.response_metadata["cached"] is False


def test_a_rejected_request_raises_a_typed_error_and_the_engine_keeps_serving(chat):
    too_long = "word " * 5000  # beyond max_model_len=2048
    with pytest.raises((GenerationFailed, ValueError)):
        chat.invoke(too_long)
    assert chat.invoke(f"Name the {_topic()}.").content


def test_llm_invoke_batch_stream(chat):
    llm = EnhancedVLLM(max_tokens=8, **ADAPTER_SETTINGS)
    prompt = f"The {_topic()} stands on"
    text = llm.invoke(prompt)
    assert isinstance(text, str) and text
    assert llm.batch([prompt, prompt + " a hill"])[0] == text
    chunks = list(llm.stream(f"The keeper of the {_topic()} said"))
    assert len(chunks) > 1
    result = llm.generate([prompt])
    assert result.generations[0][0].generation_info["cache_level"] == "memory"


async def test_llm_async(chat):
    llm = EnhancedVLLM(max_tokens=8, **ADAPTER_SETTINGS)
    prompt = f"The {_topic()} was built in"
    assert await llm.ainvoke(prompt)
    assert len([c async for c in llm.astream(f"The {_topic()} is painted")]) > 1
