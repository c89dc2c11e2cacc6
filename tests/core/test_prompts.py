"""Which part of a prompt the semantic stage and NLP see, with the bundled model's real tokenizer."""

from __future__ import annotations

import pytest

from enhanced_vllm.cache.keys import KeyBuilder
from enhanced_vllm.prompts import NO_QUESTION, QuestionFinder, probe_chat_markers
from tests.helpers import greedy


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from enhanced_vllm.models import ensure_default_model

    return AutoTokenizer.from_pretrained(ensure_default_model())


@pytest.fixture(scope="module")
def finder(tokenizer):
    return QuestionFinder(tokenizer)


def render(tokenizer, messages):
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def test_markers_come_from_the_chat_template(tokenizer):
    markers = probe_chat_markers(tokenizer)
    assert markers.user_open.endswith("<|im_start|>user\n")
    assert markers.generation_suffix == "<|im_end|>\n<|im_start|>assistant\n"


def test_the_last_user_turn_is_the_question_and_the_rest_its_context(tokenizer, finder):
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Hi there"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "How many days are in a week?"},
    ]
    found = finder.find(render(tokenizer, messages))
    assert found.text == "How many days are in a week?" and found.skip_reason is None
    assert "You are terse." in found.context and "Hi there" in found.context
    assert "How many days" not in found.context


def test_token_ids_are_decoded_and_matched_the_same_way(tokenizer, finder):
    prompt = render(tokenizer, [{"role": "user", "content": "Why is the sky blue?"}])
    assert finder.find({"prompt_token_ids": tokenizer(prompt).input_ids}).text == "Why is the sky blue?"
    assert finder.find({"prompt_token_ids": [10**9]}).skip_reason == "the prompt has no text"


@pytest.mark.parametrize(
    ("prompt", "reason"),
    [
        ("<|im_start|>user\nan unfinished turn", "no user question found in the templated prompt"),
        (" ".join(["word"] * 80), "an untemplated prompt of more than 64 words"),
        ({"prompt_embeds": None}, "the prompt has no text"),
    ],
)
def test_no_question_means_the_stage_does_not_run(finder, prompt, reason):
    found = finder.find(prompt)
    assert found.text is None and found.skip_reason == reason


def test_a_templated_prompt_ending_in_another_role_has_no_question(tokenizer, finder):
    prompt = render(tokenizer, [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}])
    assert finder.find(prompt).skip_reason == "the templated prompt does not end with a user question"


def test_given_and_refused_questions_are_honoured(tokenizer, finder):
    prompt = render(tokenizer, [{"role": "user", "content": "What is the capital of Japan?"}])
    assert finder.find(prompt, "capital of Japan").text == "capital of Japan"
    assert finder.find(prompt, "not in the prompt").text is None
    refused = finder.find(prompt, NO_QUESTION)
    assert refused.text is None and "no question" in refused.skip_reason


def test_a_short_untemplated_prompt_is_its_own_question(finder):
    found = finder.find("What is the capital of France?")
    assert found.text == "What is the capital of France?" and found.context == ""


def test_a_tokenizer_without_a_chat_template_still_finds_bare_questions():
    class NoTemplate:
        all_special_tokens = ("</s>",)

        def apply_chat_template(self, *args, **kwargs):
            raise ValueError("no chat template")

    finder = QuestionFinder(NoTemplate())
    assert finder.markers is None
    assert finder.find("How do I learn Python?").text == "How do I learn Python?"
    assert finder.find("History</s>How do I learn Python?").text is None


def test_the_context_splits_the_semantic_signature_but_not_the_exact_key(tokenizer, finder):
    keys = KeyBuilder({"model": "m"}, "default")
    terse = render(tokenizer, [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Hi"}])
    french = render(tokenizer, [{"role": "system", "content": "Answer in French."}, {"role": "user", "content": "Hi"}])
    a, b = (keys.build(p, greedy(), question=finder.find(p)) for p in (terse, french))
    assert a.prompt_text == b.prompt_text == "Hi" and a.signature != b.signature
    assert keys.build(terse, greedy()).digest == a.digest  # the exact level does not depend on the question
