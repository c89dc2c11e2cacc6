"""Fuzzing the public API with hypothesis: prompts of every shape through the real engine, configs
with bad values and unknown fields, chat messages of every role and content-block kind through both
adapters. Only typed errors come out (>= 1,000 cases in all), and the engine still serves after."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core import messages as lc
from llama_index.core.base.llms.types import ChatMessage as LlamaMessage
from vllm.v1.engine.exceptions import EngineGenerateError

from enhanced_vllm import CacheConfig, HandlerConfig, SimilarityConfig, VLLMConfig
from enhanced_vllm.errors import ConfigError, EnhancedVLLMError
from langchain_enhanced_vllm.chat_models import to_chat_dicts
from llamaindex_enhanced_vllm.llms import chat_dicts
from tests.helpers import VLLM_REQUEST_ERRORS, collect, greedy, unique_prompt

TYPED = (*VLLM_REQUEST_ERRORS, TypeError, EnhancedVLLMError)
SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

odd_text = st.text(st.characters(categories=["Cc", "Cf", "Cs", "Zs", "So", "Lo"]), max_size=80)
token_ids = st.lists(st.integers(min_value=-5, max_value=10**7), max_size=12)
prompts = st.one_of(
    st.text(max_size=120),
    odd_text,
    st.integers(1_000, 60_000).map(lambda n: "word " * n),  # up to ~30x max_model_len
    token_ids,
    token_ids.map(lambda ids: {"prompt_token_ids": ids}),
    st.one_of(odd_text, st.text(max_size=40)).map(lambda text: {"prompt": text}),
    st.one_of(st.none(), st.integers(), st.floats(), st.binary(max_size=20), st.booleans()),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
)


@settings(SETTINGS, max_examples=300)
@given(prompt=prompts)
async def test_any_prompt_gets_an_answer_or_a_typed_error(llm, prompt):
    try:
        outputs = await collect(llm, prompt, greedy(max_tokens=1))
    except TYPED:
        return
    except EngineGenerateError as exc:  # vLLM's generate() wraps what is not a client error
        assert isinstance(exc.__cause__, TYPED), repr(exc.__cause__)
        return
    assert outputs[-1].finished


async def test_the_engine_serves_after_the_prompt_fuzzing(llm):
    outputs = await collect(llm, unique_prompt("a fuzzed moth"), greedy(max_tokens=4))
    assert outputs[-1].finished and outputs[-1].text and not llm.flights.by_key


values = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["redis://", "http://:99999", "not a url", "redis://127.0.0.1:0/-1", ""]),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
)
CONFIGS = (CacheConfig, SimilarityConfig, HandlerConfig, VLLMConfig)


@settings(SETTINGS, max_examples=500)
@given(
    config=st.sampled_from(CONFIGS),
    fields=st.data(),
)
def test_any_config_is_valid_or_a_config_error(config, fields):
    names = [*config.model_fields, "no_such_field", "max_entries_typo"]
    chosen = fields.draw(st.dictionaries(st.sampled_from(names), values, max_size=4))
    try:
        built = config(**chosen)
    except ConfigError:
        return
    json.loads(built.model_dump_json())  # what was accepted is a plain, serialisable config


content_blocks = st.one_of(
    st.text(max_size=30),
    st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=30)}),
    st.fixed_dictionaries({"type": st.sampled_from(["image_url", "image", "audio", "file", "tool_use", "x"])}),
)
content = st.one_of(st.text(max_size=60), odd_text, st.lists(content_blocks, max_size=3))
tool_call = st.fixed_dictionaries(
    {
        "name": st.text(min_size=1, max_size=10),
        "args": st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
        "id": st.text(max_size=6),
    }
)
langchain_messages = st.lists(
    st.one_of(
        st.builds(lc.HumanMessage, content=content),
        st.builds(lc.SystemMessage, content=content),
        st.builds(lc.AIMessage, content=content, tool_calls=st.lists(tool_call, max_size=2)),
        st.builds(lc.ToolMessage, content=content, tool_call_id=st.text(max_size=6)),
        st.builds(
            lc.ChatMessage, content=content, role=st.sampled_from(["user", "assistant", "system", "tool", "odd"])
        ),
    ),
    max_size=4,
)


@settings(SETTINGS, max_examples=250)
@given(messages=langchain_messages)
async def test_langchain_messages_render_or_raise_a_typed_error(llm, messages):
    _renders_or_raises_a_typed_error(llm, lambda: to_chat_dicts(messages))


llama_messages = st.lists(
    st.builds(
        LlamaMessage,
        role=st.sampled_from(["user", "assistant", "system", "tool", "function", "developer", "chatbot", "model"]),
        content=st.one_of(st.none(), st.text(max_size=60), odd_text),
    ),
    max_size=4,
)


@settings(SETTINGS, max_examples=250)
@given(messages=llama_messages)
async def test_llamaindex_messages_render_or_raise_a_typed_error(llm, messages):
    _renders_or_raises_a_typed_error(llm, lambda: chat_dicts(messages))


def _renders_or_raises_a_typed_error(llm, convert) -> None:
    """An adapter's conversion, then the engine's chat template: a prompt and a question, or a typed error."""
    try:
        prompt, question = llm.render_chat(convert())
    except TYPED:
        return
    assert isinstance(prompt, str) and isinstance(question, str)
