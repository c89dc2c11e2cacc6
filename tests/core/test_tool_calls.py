"""The core tool plan both adapters use: schemas, parsing, history text (pure logic)."""

from __future__ import annotations

import pytest

from enhanced_vllm.tool_calls import ToolPlan, calls_text, plan_tools, result_text


def _tool(name: str, parameters: dict | None = None) -> dict:
    return {"type": "function", "function": {"name": name, "description": name, "parameters": parameters}}


NESTED = {
    "type": "object",
    "properties": {"to": {"$ref": "#/$defs/Address"}},
    "required": ["to"],
    "$defs": {"Address": {"type": "object", "properties": {"city": {"type": "string"}}}},
}


def test_definitions_move_to_the_root_where_refs_point():
    schema = ToolPlan([_tool("move", NESTED), _tool("stay", NESTED)], forced=True).json_schema
    assert schema["$defs"] == NESTED["$defs"]
    assert all("$defs" not in option["properties"]["arguments"] for option in schema["anyOf"])
    assert NESTED["$defs"]  # the tool's own schema is left as it was


def test_conflicting_definitions_are_a_clear_error():
    other = {**NESTED, "$defs": {"Address": {"type": "string"}}}
    with pytest.raises(ValueError, match=r"\$defs/Address"):
        ToolPlan([_tool("move", NESTED), _tool("stay", other)], forced=True).json_schema  # noqa: B018


def test_parallel_and_optional_replies_have_their_own_shapes():
    schema = ToolPlan([_tool("a")], forced=False, parallel=True).json_schema
    calls, answer = schema["anyOf"]
    assert calls["type"] == "array" and calls["minItems"] == 1
    assert answer["required"] == ["response"]


def test_parse_reads_one_call_a_list_a_response_and_leaves_other_text():
    plan = ToolPlan([_tool("a")], forced=False, parallel=True)
    assert plan.parse('{"response": "hi"}') == ("hi", [])
    content, calls = plan.parse('[{"name": "a", "arguments": {"x": 1}}, {"name": "a", "arguments": {"x": 2}}]')
    assert content == "" and [c["args"] for c in calls] == [{"x": 1}, {"x": 2}]
    assert len({c["id"] for c in calls}) == 2
    assert plan.parse("not json") == ("not json", [])
    assert plan.parse("[1, 2]") == ("[1, 2]", [])


def test_tool_choice_forms():
    tools = [_tool("a"), _tool("b")]
    assert plan_tools(tools, "none") is None and plan_tools(None, "auto") is None
    assert plan_tools(tools, "required").forced and not plan_tools(tools, "auto").forced
    chosen = plan_tools(tools, {"type": "function", "function": {"name": "b"}})
    assert chosen.forced and [t["function"]["name"] for t in chosen.tools] == ["b"]
    with pytest.raises(ValueError, match="names no bound tool"):
        plan_tools(tools, "c")


def test_history_text():
    assert calls_text("", [("a", {"x": 1})]) == '{"name": "a", "arguments": {"x": 1}}'
    two = calls_text("ok", [("a", {}), ("b", {})])
    assert two == 'ok\n[{"name": "a", "arguments": {}}, {"name": "b", "arguments": {}}]'
    assert result_text("call_1", "42") == '{"tool_call_id": "call_1", "result": "42"}'
