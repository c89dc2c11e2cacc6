"""Tool calling through guided decoding: the model's reply is constrained to a JSON object that
names one bound tool and its arguments (or, when the call is optional, a plain ``response``)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

FORCED = ("any", "required", True)


@dataclass(frozen=True)
class ToolPlan:
    tools: list[dict[str, Any]]  # OpenAI tool format
    forced: bool

    @property
    def json_schema(self) -> dict[str, Any]:
        options = [
            {
                "type": "object",
                "properties": {
                    "name": {"const": tool["function"]["name"]},
                    "arguments": tool["function"].get("parameters") or {"type": "object", "properties": {}},
                },
                "required": ["name", "arguments"],
            }
            for tool in self.tools
        ]
        if not self.forced:
            options.append({"type": "object", "properties": {"response": {"type": "string"}}, "required": ["response"]})
        return options[0] if len(options) == 1 else {"anyOf": options}

    def instruct(self, chat: list[dict[str, str]]) -> list[dict[str, str]]:
        """The conversation with the tools described in its system message."""
        specs = [{k: t["function"].get(k) for k in ("name", "description", "parameters")} for t in self.tools]
        text = 'You can call these tools. To call one, reply with JSON {"name": ..., "arguments": {...}}'
        text += "." if self.forced else '; to answer directly, reply with {"response": "..."}.'
        text += "\nTools: " + json.dumps(specs)
        if chat and chat[0]["role"] == "system":
            return [{"role": "system", "content": chat[0]["content"] + "\n\n" + text}, *chat[1:]]
        return [{"role": "system", "content": text}, *chat]

    def parse(self, text: str) -> tuple[str, list[dict[str, Any]]]:
        """(content, tool_calls) of the model's JSON reply; text that is not such JSON stays content."""
        try:
            reply = json.loads(text)
        except json.JSONDecodeError:
            return text, []
        if isinstance(reply, dict) and isinstance(reply.get("name"), str):
            arguments = reply.get("arguments")
            call = {
                "name": reply["name"],
                "args": arguments if isinstance(arguments, dict) else {},
                "id": f"call_{uuid.uuid4().hex[:24]}",
                "type": "tool_call",
            }
            return "", [call]
        if isinstance(reply, dict) and isinstance(reply.get("response"), str):
            return reply["response"], []
        return text, []


def plan_tools(tools: list[dict[str, Any]] | None, tool_choice: Any) -> ToolPlan | None:
    """The plan for bound ``tools`` and ``tool_choice`` (None when no tool may be called)."""
    if not tools or tool_choice == "none":
        return None
    if tool_choice in FORCED:
        return ToolPlan(tools, forced=True)
    if isinstance(tool_choice, dict):
        tool_choice = tool_choice.get("function", {}).get("name") or tool_choice.get("name")
    if isinstance(tool_choice, str) and tool_choice != "auto":
        chosen = [t for t in tools if t["function"]["name"] == tool_choice]
        if not chosen:
            raise ValueError(f"tool_choice {tool_choice!r} names no bound tool")
        return ToolPlan(chosen, forced=True)
    return ToolPlan(tools, forced=False)
