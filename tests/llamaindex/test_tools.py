"""EnhancedVLLM as a FunctionCallingLLM on the real engine: tool calls and structured output enforced
by guided decoding (the core's tool plan, shared with the LangChain adapter), cached for exact repeats."""

from __future__ import annotations

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llamaindex_enhanced_vllm import EnhancedVLLM
from llamaindex_enhanced_vllm.llms import chat_dicts
from tests.helpers import ADAPTER_SETTINGS

CALLED: list[tuple] = []


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    CALLED.append(("get_weather", city))
    return f"It is sunny and 21 C in {city}."


def add(a: int, b: int) -> int:
    """Add two integers."""
    CALLED.append(("add", a, b))
    return a + b


TOOLS = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(add)]


class Address(BaseModel):
    city: str
    country: str


class Person(BaseModel):
    name: str
    age: int
    address: Address


@pytest.fixture(scope="module")
def tool_llm():
    """The shared engine; room for a nested object (guided JSON may carry whitespace)."""
    return EnhancedVLLM(max_tokens=256, **ADAPTER_SETTINGS)


def _calls(llm: EnhancedVLLM, response) -> list[tuple[str, dict]]:
    return [(c.tool_name, c.tool_kwargs) for c in llm.get_tool_calls_from_response(response)]


def test_metadata_says_function_calling(tool_llm):
    assert tool_llm.metadata.is_function_calling_model is True


async def test_function_agent_calls_the_right_tool_and_finishes(tool_llm):
    CALLED.clear()
    agent = FunctionAgent(tools=TOOLS, llm=tool_llm, initial_tool_choice="required")
    result = await agent.run("What is the weather in Berlin?", max_iterations=6)
    assert CALLED[0] == ("get_weather", "Berlin")
    assert "sunny" in str(result)  # it finished, answering from the tool's result


async def test_the_model_picks_between_tools_with_valid_arguments(tool_llm):
    response = await tool_llm.achat_with_tools(TOOLS, "What is 2 plus 3?", tool_required=True)
    assert _calls(tool_llm, response) == [("add", {"a": 2, "b": 3})]
    assert response.raw["cached"] is False


def test_a_repeated_tool_turn_is_an_exact_hit_with_the_same_calls_never_a_semantic_one(tool_llm):
    city = "Oslo"  # asked by no other test: the first call is a miss
    first = tool_llm.chat_with_tools(TOOLS, f"What is the weather in {city} today?", tool_required=True)
    again = tool_llm.chat_with_tools(TOOLS, f"What is the weather in {city} today?", tool_required=True)
    assert again.raw["cache_level"] == "memory"
    assert _calls(tool_llm, again) == _calls(tool_llm, first) and len(_calls(tool_llm, first)) == 1
    reworded = tool_llm.chat_with_tools(TOOLS, f"What's the weather in {city} today?", tool_required=True)
    assert reworded.raw["cache_level"] is None


def test_parallel_calls_when_allowed(tool_llm):
    response = tool_llm.chat_with_tools(
        TOOLS, "What is the weather in Rome and in Lima?", allow_parallel_tool_calls=True, tool_required=True
    )
    calls = _calls(tool_llm, response)
    assert len(calls) >= 1 and all(name in ("get_weather", "add") for name, _ in calls)


def test_streamed_tool_call_arrives_whole(tool_llm):
    chunks = list(tool_llm.stream_chat_with_tools(TOOLS, "What is the weather in Quito?", tool_required=True))
    assert len(chunks) == 1
    assert _calls(tool_llm, chunks[0]) == [("get_weather", {"city": "Quito"})]


def test_optional_tools_may_be_answered_directly(tool_llm):
    response = tool_llm.chat_with_tools(TOOLS, "Say hello to me.")
    calls = tool_llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    assert calls or response.message.content  # a call or a plain answer, never raw JSON left unparsed
    if not calls:
        assert not response.message.content.lstrip().startswith("{")


def test_no_call_is_a_clear_error_when_one_was_required(tool_llm):
    response = tool_llm.chat([ChatMessage(role=MessageRole.USER, content="Say hello.")])
    with pytest.raises(ValueError, match="called no tool"):
        tool_llm.get_tool_calls_from_response(response)


async def test_structured_predict_returns_a_valid_nested_object(tool_llm):
    prompt = PromptTemplate("Describe a person who lives in {place}.")
    person = await tool_llm.astructured_predict(Person, prompt, place="Lisbon")
    assert isinstance(person, Person) and isinstance(person.address, Address) and person.name
    assert isinstance(tool_llm.structured_predict(Person, prompt, place="Lisbon"), Person)
    structured = tool_llm.as_structured_llm(Address)
    reply = structured.chat([ChatMessage(role=MessageRole.USER, content="Where is the Eiffel Tower?")])
    assert isinstance(Address.model_validate_json(reply.message.content), Address)


def test_stream_structured_predict_ends_with_a_valid_object(tool_llm):
    prompt = PromptTemplate("Describe a city called {name}.")
    *_, last = tool_llm.stream_structured_predict(Address, prompt, name="Porto")
    assert isinstance(last, Address)


def test_tool_history_is_written_as_the_core_writes_it():
    call = ToolCallBlock(tool_call_id="call_1", tool_name="get_weather", tool_kwargs={"city": "Paris"})
    history = [
        ChatMessage(role=MessageRole.USER, content="Weather in Paris?"),
        ChatMessage(role=MessageRole.ASSISTANT, blocks=[call]),
        ChatMessage(role=MessageRole.TOOL, content="sunny", additional_kwargs={"tool_call_id": "call_1"}),
    ]
    assert chat_dicts(history)[1:] == [
        {"role": "assistant", "content": '{"name": "get_weather", "arguments": {"city": "Paris"}}'},
        {"role": "tool", "content": '{"tool_call_id": "call_1", "result": "sunny"}'},
    ]
