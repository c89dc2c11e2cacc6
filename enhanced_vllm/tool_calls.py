"""Tool calling through guided decoding, for both adapters: the model's reply is constrained to a JSON
object that names one bound tool and its arguments (a list of such objects when parallel calls are
allowed; a plain ``response`` when the call is optional). Tools come in OpenAI's format; calls come
back as ``{"name", "args", "id", "type": "tool_call"}`` dicts, which each adapter turns into its own
type. Earlier calls and their results are written into the conversation as JSON text (small chat
templates have no tool syntax), the same way in both adapters.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

FORCED = ("any", "required", True)
DEFINITION_SECTIONS = ("$defs", "definitions")  # where JSON schemas keep what ``$ref`` points at


@dataclass(frozen=True)
class ToolPlan:
    tools: list[dict[str, Any]]  # OpenAI tool format
    forced: bool
    parallel: bool = False  # the reply may call several tools at once (a JSON list of calls)

    @property
    def json_schema(self) -> dict[str, Any]:
        """One schema for every allowed reply; the tools' shared definitions (``$defs``, which
        their ``$ref`` pointers address from the root) moved to its root."""
        definitions: dict[str, dict[str, Any]] = {}
        calls = []
        for tool in self.tools:
            arguments = dict(tool["function"].get("parameters") or {"type": "object", "properties": {}})
            for section in DEFINITION_SECTIONS:
                for name, definition in arguments.pop(section, {}).items():
                    if definitions.setdefault(section, {}).setdefault(name, definition) != definition:
                        raise ValueError(f"two tools define {section}/{name} differently")
            calls.append(
                {
                    "type": "object",
                    "properties": {"name": {"const": tool["function"]["name"]}, "arguments": arguments},
                    "required": ["name", "arguments"],
                }
            )
        call = calls[0] if len(calls) == 1 else {"anyOf": calls}
        options = [{"type": "array", "items": call, "minItems": 1} if self.parallel else call]
        if not self.forced:
            options.append({"type": "object", "properties": {"response": {"type": "string"}}, "required": ["response"]})
        schema = options[0] if len(options) == 1 else {"anyOf": options}
        return {**schema, **definitions}

    def instruct(self, chat: list[dict[str, str]]) -> list[dict[str, str]]:
        """The conversation with the tools described in its system message."""
        specs = [{k: t["function"].get(k) for k in ("name", "description", "parameters")} for t in self.tools]
        text = 'You can call these tools. To call one, reply with JSON {"name": ..., "arguments": {...}}'
        if self.parallel:
            text += " (to call several, a JSON list of them)"
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
        if isinstance(reply, dict) and isinstance(reply.get("response"), str):
            return reply["response"], []
        replies = reply if isinstance(reply, list) else [reply]
        if replies and all(isinstance(r, dict) and isinstance(r.get("name"), str) for r in replies):
            return "", [_call(r["name"], r.get("arguments")) for r in replies]
        return text, []


def _call(name: str, arguments: Any) -> dict[str, Any]:
    args = arguments if isinstance(arguments, dict) else {}
    return {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:24]}", "type": "tool_call"}


def plan_tools(tools: list[dict[str, Any]] | None, tool_choice: Any, parallel: bool = False) -> ToolPlan | None:
    """The plan for bound ``tools`` and ``tool_choice`` (None when no tool may be called)."""
    if not tools or tool_choice == "none":
        return None
    if tool_choice in FORCED:
        return ToolPlan(tools, forced=True, parallel=parallel)
    if isinstance(tool_choice, dict):
        tool_choice = tool_choice.get("function", {}).get("name") or tool_choice.get("name")
    if isinstance(tool_choice, str) and tool_choice != "auto":
        chosen = [t for t in tools if t["function"]["name"] == tool_choice]
        if not chosen:
            raise ValueError(f"tool_choice {tool_choice!r} names no bound tool")
        return ToolPlan(chosen, forced=True, parallel=parallel)
    return ToolPlan(tools, forced=False, parallel=parallel)


def calls_text(content: str, calls: list[tuple[str, dict[str, Any]]]) -> str:
    """An assistant turn that called tools ((name, arguments) pairs), as the model wrote it."""
    written = [{"name": name, "arguments": arguments} for name, arguments in calls]
    return (content + "\n" if content else "") + json.dumps(written if len(written) > 1 else written[0])


def result_text(tool_call_id: str | None, content: str) -> str:
    """A tool's result, as the conversation shows it to the model."""
    return json.dumps({"tool_call_id": tool_call_id, "result": content})
