"""The LangChain benchmark (``enhanced-vllm bench langchain``): ``ChatEnhancedVLLM.invoke`` on an
exact hit beside LangChain's own ``InMemoryCache`` hit on a fake chat model, in one run."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from langchain_core.caches import InMemoryCache
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from enhanced_vllm.config import HandlerConfig, SimilarityConfig
from langchain_enhanced_vllm.chat_models import ChatEnhancedVLLM

SAMPLES = 200


def _ms_p50(call: Callable[[], Any], samples: int) -> float:
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return round(statistics.median(timings) * 1000, 4)


def run_langchain_bench(samples: int = SAMPLES) -> dict[str, Any]:
    question = f"What is the capital of France? ({uuid.uuid4().hex[:6]})"
    chat = ChatEnhancedVLLM(
        max_tokens=32,
        similarity_config=SimilarityConfig(chroma_mode="ephemeral"),
        handler_config=HandlerConfig(),
    )
    miss_started = time.perf_counter()
    chat.invoke(question)  # starts the engine, then the miss that fills the cache
    first_ms = (time.perf_counter() - miss_started) * 1000
    hit = chat.invoke(question)
    assert hit.response_metadata["cache_level"] == "memory", hit.response_metadata

    fake_cached = FakeListChatModel(responses=["Paris."], cache=InMemoryCache())
    fake_cached.invoke(question)
    fake_plain = FakeListChatModel(responses=["Paris."])
    # alternate the three in blocks so that machine noise hits all of them alike
    lc_hit, anchor, plain = [], [], []
    for _ in range(5):
        lc_hit.append(_ms_p50(lambda: chat.invoke(question), samples // 5))
        anchor.append(_ms_p50(lambda: fake_cached.invoke(question), samples // 5))
        plain.append(_ms_p50(lambda: fake_plain.invoke(question), samples // 5))
    return {
        "model": chat.model_name,
        "samples": samples,
        "lc_hit_ms_p50": statistics.median(lc_hit),
        "lc_inmemorycache_hit_ms_p50": statistics.median(anchor),
        "lc_fake_uncached_ms_p50": statistics.median(plain),
        "lc_hit_vs_inmemorycache": round(statistics.median(lc_hit) / statistics.median(anchor), 4),
        "lc_start_and_first_miss_ms": round(first_ms, 1),
    }
