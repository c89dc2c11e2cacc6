"""Answer check: an engine's greedy output against transformers' greedy output of the same weights
(as vLLM's own model tests, ``tests/models/utils.py`` ``check_outputs_equal``), on chat prompts of
several shapes and lengths, and known facts in the answers. ``enhanced-vllm eval answers [--dtype D]``
runs it on any platform (how a dtype is verified, see docs/gpu.md "Engine dtype"); the answer tests use the
same prompts and reference.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from enhanced_vllm.progress import progress

MAX_TOKENS = 32  # generated; the first COMPARED_TOKENS must equal the reference (vLLM's model tests)
COMPARED_TOKENS = 16

# first set: asked, then stored; each with a word its answer must contain
STORED = {
    "What is the capital of France?": "Paris",
    "What is the capital of Japan?": "Tokyo",
    "How many days are there in a week?": "7",
    "Who wrote Romeo and Juliet?": "Shakespeare",
    "Who painted the Mona Lisa?": "Leonardo",
    "What is the chemical symbol for gold?": "Au",
}
# second set: different questions asked after the first is stored (None: no fact to check)
OTHERS = {
    "What is 2 + 2?": "4",
    "What is the boiling point of water in Celsius?": "100",
    "Which planet is known as the Red Planet?": "Mars",
    "What language is spoken in Brazil?": "Portuguese",
    "What color is the sky on a clear day?": "blue",
    "What is the largest planet in our solar system?": None,
}
FACTS = {**STORED, **OTHERS}  # question -> a word its answer must contain (None: none to check)
# true paraphrases of the first set -> the question they rephrase
PARAPHRASES = {
    "What's the capital city of France?": "What is the capital of France?",
    "What is Japan's capital?": "What is the capital of Japan?",
    "How many days does a week have?": "How many days are there in a week?",
    "Who was the writer of Romeo and Juliet?": "Who wrote Romeo and Juliet?",
    "Who was the painter of the Mona Lisa?": "Who painted the Mona Lisa?",
}
_PASSAGE = " ".join(
    [
        "The Harbour Line bridge was designed by the engineer Mara Voss after a storm destroyed the old ferry",
        "pier. Construction began in the spring, when barges carried the first steel girders across the bay,",
        "and it took four years, two strikes and one flood before the deck was complete. The bridge is 1,200",
        "metres long and carries two railway tracks, a road and a footpath. Its towers are painted green to",
        "match the hills behind the town, a choice that was debated in the council for months. When the bridge",
        "opened, the ferry company closed, and many of its sailors found work maintaining the new structure.",
        "Today about forty thousand people cross it every day, and a small museum at the northern end shows",
        "the original drawings, the tools of the riveters and a model of the ferry it replaced.",
    ]
    * 2
)
# chat prompts of other shapes and lengths: a greeting, a system prompt, history, a long context
CONVERSATIONS = {
    "greeting": [{"role": "user", "content": "Hi"}],
    "system-prompt": [
        {"role": "system", "content": "You are a geography teacher. Answer in one sentence."},
        {"role": "user", "content": "What is the capital of Japan?"},
    ],
    "history": [
        {"role": "user", "content": "My name is Ada and I like tea."},
        {"role": "assistant", "content": "Nice to meet you, Ada! Tea is a great choice."},
        {"role": "user", "content": "What drink do I like?"},
    ],
    "long-context": [{"role": "user", "content": f"{_PASSAGE}\n\nWho designed the Harbour Line bridge?"}],
}


def user_turn(question: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": question}]


def all_conversations() -> dict[str, list[dict[str, str]]]:
    """Every prompt of the answer tests, by name (a question names its own one-turn chat)."""
    questions = {q: user_turn(q) for q in [*STORED, *OTHERS]}
    return {**questions, **CONVERSATIONS}


@dataclass(frozen=True)
class Reference:
    prompt: str  # rendered with the chat template, as users send chats to AsyncLLM
    prompt_token_ids: list[int]
    token_ids: list[int]  # transformers' greedy continuation (float32), at most MAX_TOKENS
    text: str


def references(model_dir: str | None = None) -> dict[str, Reference]:
    """transformers' greedy output (float32, on the CPU) on the weights in ``model_dir`` (None: the
    bundled model), computed once per model folder."""
    from enhanced_vllm.models import ensure_default_model

    return _references(str(Path(model_dir or ensure_default_model()).resolve()))


@functools.cache
def _references(model_dir: str) -> dict[str, Reference]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    result = {}
    for name, messages in progress(all_conversations().items(), desc="reference answers (transformers)"):
        prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        prompt_ids = tokenizer(prompt).input_ids
        with torch.no_grad():
            generated = model.generate(torch.tensor([prompt_ids]), max_new_tokens=MAX_TOKENS, do_sample=False)
        token_ids = generated[0, len(prompt_ids) :].tolist()
        text = tokenizer.decode(token_ids, skip_special_tokens=True)
        result[name] = Reference(prompt, prompt_ids, token_ids, text)
    return result


def outputs_equal(reference: Reference, token_ids: list[int]) -> bool:
    """The first COMPARED_TOKENS generated tokens equal the reference's."""
    return list(token_ids[:COMPARED_TOKENS]) == reference.token_ids[:COMPARED_TOKENS]


def check_outputs_equal(name: str, reference: Reference, token_ids: list[int], text: str) -> None:
    """Assert :func:`outputs_equal`, showing both answers when they differ."""
    assert outputs_equal(reference, token_ids), (
        f"{name}: greedy output differs from transformers'\n  engine:       {text!r}\n"
        f"  transformers: {reference.text!r}"
    )


async def check_engine(llm: Any) -> dict[str, Any]:
    """Every prompt through ``llm.generate()``, one at a time: how many equal the reference, how many
    factual answers contain their fact, and each mismatch with both answers."""
    from vllm import SamplingParams

    params = SamplingParams(temperature=0, max_tokens=MAX_TOKENS)
    matched, facts_found, mismatches = 0, 0, []
    refs = references(llm.model_config.model)
    for name, ref in progress(refs.items(), desc="engine answers"):
        output = [o async for o in llm.generate(ref.prompt, params, uuid.uuid4().hex)][-1]
        completion = output.outputs[0]
        if list(output.prompt_token_ids) == ref.prompt_token_ids and outputs_equal(ref, completion.token_ids):
            matched += 1
        else:
            mismatches.append({"prompt": name, "engine": completion.text, "transformers": ref.text})
        facts_found += bool(FACTS.get(name)) and FACTS[name] in completion.text
    return {
        "matched": f"{matched}/{len(refs)}",
        "facts": f"{facts_found}/{sum(1 for fact in FACTS.values() if fact)}",
        "compared_tokens": COMPARED_TOKENS,
        "mismatches": mismatches,
    }


async def run_answers_eval(dtype: str = "auto", model: str | None = None) -> dict[str, Any]:
    """The check on a fresh engine (memory cache only) for ``model`` (None: the bundled one), in
    ``dtype``; the reference is transformers on the same weights."""
    from enhanced_vllm.bench import describe_engine
    from enhanced_vllm.config import HandlerConfig, VLLMConfig
    from enhanced_vllm.engine import EnhancedAsyncLLM

    engine_args = VLLMConfig(engine_args={"dtype": dtype, "model": model}).to_engine_args()
    exact_only = HandlerConfig(features={"enable_similarity_search": False})
    llm = EnhancedAsyncLLM.from_engine_args(engine_args, handler_config=exact_only)
    try:
        result = await check_engine(llm)
    finally:
        await llm.cleanup()
    return {**describe_engine(llm), **result}
