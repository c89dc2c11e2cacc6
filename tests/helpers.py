"""Shared test helpers."""

from __future__ import annotations

import uuid
from pathlib import Path

from vllm import SamplingParams
from vllm.sampling_params import RequestOutputKind

from enhanced_vllm import HandlerConfig, SimilarityConfig

EXACT_ONLY = HandlerConfig(features={"enable_similarity_search": False})  # no semantic stage
# the framework adapters' settings in tests: equal settings share one engine (LangChain and LlamaIndex)
ADAPTER_SETTINGS = {"similarity_config": SimilarityConfig(chroma_mode="ephemeral", max_hold_ms=5000)}


def settle(model) -> None:
    """Wait for the engine's background cache writes (the semantic store is written after the answer)."""
    runtime = model.runtime()
    runtime.run(runtime.llm.flush_cache_writes())


def greedy(max_tokens: int = 8, kind: RequestOutputKind = RequestOutputKind.CUMULATIVE, **kw) -> SamplingParams:
    return SamplingParams(temperature=0, max_tokens=max_tokens, output_kind=kind, **kw)


def unique_prompt(topic: str = "a lighthouse keeper") -> str:
    """A prompt no other test uses, so cache state never leaks between tests."""
    return f"Write one sentence about {topic} number {uuid.uuid4().hex[:6]}:"


async def collect(llm, prompt, params, request_id=None, **kw):
    outputs = []
    async for out in llm.generate(prompt, params, request_id or uuid.uuid4().hex, **kw):
        outputs.append(out)
    return outputs


class LocalChromaServer:
    """``chroma run`` on a free loopback port (server mode: how processes share the semantic cache)."""

    def __init__(self, path) -> None:
        from enhanced_vllm.local_redis import free_port

        self.path = path
        self.port = free_port()
        self.process = None

    def start(self, timeout: float = 60.0) -> LocalChromaServer:
        import shutil
        import subprocess
        import sys
        import time
        import urllib.request

        binary = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
        command = [binary, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1)
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("chroma server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
