"""Which part of a prompt is the user's question: what the semantic stage compares and NLP analyses.

A chat sent to ``AsyncLLM`` usually arrives rendered through the model's chat template, system prompt
and history included. Embedding that whole string matches templates, not questions, so the question
is recovered with the tokenizer's own template: rendering probe conversations shows the text that
opens a user turn and the text that follows the last user turn up to the answer. The rest of the
prompt (system prompt, history, tools) is the question's *context*: it joins the semantic signature,
so a paraphrase only reuses an answer given in the same context.

Where no question can be told apart (a templated prompt whose last turn is not the user's, a long
untemplated prompt, a prompt without text) the stage does not run and ``skip_reason`` says why. A
caller's :data:`NO_QUESTION` ("never reuse this semantically", e.g. a tool-calling turn) is honoured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

NO_QUESTION = ""
"""Pass as ``question=`` to say the request has no question to match semantically."""

MAX_BARE_QUESTION_WORDS = 64  # an untemplated prompt longer than this is a document, not one question
_PROBES = ("\x01probe-one\x01", "\x01probe-two\x01", "\x01probe-three\x01")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Question:
    """``text``: what the semantic stage matches (None: it does not run, ``skip_reason`` says why);
    ``context``: the rest of the prompt, with the question cut out."""

    text: str | None
    context: str = ""
    skip_reason: str | None = None


@dataclass(frozen=True)
class ChatMarkers:
    """What the chat template puts around the last user turn of a prompt with a generation prompt."""

    user_open: str
    generation_suffix: str


def probe_chat_markers(tokenizer: Any) -> ChatMarkers | None:
    """Learn the markers from the template itself; None when it has no usable template."""
    one, two, three = _PROBES
    try:
        single = _render(tokenizer, [{"role": "user", "content": one}])
        turns = [("user", one), ("assistant", two), ("user", three)]
        multi = _render(tokenizer, [{"role": role, "content": content} for role, content in turns])
    except Exception:  # no chat template, or one that rejects these roles
        return None
    if single.count(one) != 1 or multi.count(three) != 1 or two not in multi:
        return None
    suffix = single[single.index(one) + len(one) :]
    if not multi.endswith(three + suffix):
        return None
    between = multi[multi.index(two) + len(two) : multi.index(three)]
    user_open = _common_suffix(single[: single.index(one)], between)
    if not user_open.strip() or not suffix.strip():
        return None
    return ChatMarkers(user_open, suffix)


def _common_suffix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return a[len(a) - n :]


def _render(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


class QuestionFinder:
    """Finds the question of each request for one engine (one tokenizer, probed once)."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer
        self.markers = probe_chat_markers(tokenizer) if tokenizer is not None else None
        special = getattr(tokenizer, "all_special_tokens", None) or []
        markers = [self.markers.user_open.strip(), self.markers.generation_suffix.strip()] if self.markers else []
        self._template_tokens = tuple(t for t in {*special, *markers} if t and t.strip())

    def find(self, prompt: Any, question: str | None = None) -> Question:
        """The question of ``prompt``: ``question`` where given (it must occur in the prompt),
        else the last user turn of a templated prompt, else a short untemplated prompt whole."""
        if question == NO_QUESTION:
            return Question(None, skip_reason="the caller marked the request as having no question")
        text = self.text_of(prompt)
        if text is None or not text.strip():
            return Question(None, skip_reason="the prompt has no text")
        if question is not None:
            if question not in text:
                return Question(None, skip_reason="the given question does not occur in the prompt")
            return _cut(text, question, text.rindex(question))
        if self.markers is not None and text.endswith(self.markers.generation_suffix):
            body = text[: -len(self.markers.generation_suffix)]
            start = body.rfind(self.markers.user_open)
            if start >= 0:
                found = body[start + len(self.markers.user_open) :]
                if found.strip() and not self._has_template_tokens(found):
                    return _cut(text, found, start + len(self.markers.user_open))
            return Question(None, skip_reason="the templated prompt does not end with a user question")
        if self._has_template_tokens(text):
            return Question(None, skip_reason="no user question found in the templated prompt")
        if len(_WORD.findall(text)) > MAX_BARE_QUESTION_WORDS:
            return Question(None, skip_reason=f"an untemplated prompt of more than {MAX_BARE_QUESTION_WORDS} words")
        return Question(text)

    def text_of(self, prompt: Any) -> str | None:
        """The prompt's text: the string, a prompt dict's ``prompt``, or its token ids decoded."""
        if isinstance(prompt, str):
            return prompt
        if isinstance(prompt, dict):
            if isinstance(prompt.get("prompt"), str):
                return prompt["prompt"]
            token_ids = prompt.get("prompt_token_ids")
            if isinstance(token_ids, list) and self._tokenizer is not None and not prompt.get("multi_modal_data"):
                try:
                    return self._tokenizer.decode(token_ids, skip_special_tokens=False)
                except Exception:  # ids out of the vocabulary: the engine will reject the request
                    return None
        return None

    def _has_template_tokens(self, text: str) -> bool:
        return any(token in text for token in self._template_tokens)


def _cut(text: str, question: str, start: int) -> Question:
    """``question`` found at ``start`` of ``text``: the context is the text without it."""
    context = text[:start] + "\0" + text[start + len(question) :]
    return Question(question, "" if context == "\0" else context)
