"""Shared test helpers."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

from vllm import SamplingParams, exceptions
from vllm.sampling_params import RequestOutputKind

from enhanced_vllm import HandlerConfig, SimilarityConfig

# what vLLM raises for a request it refuses: ValueError; from 0.32 on, validation errors are VLLMClientError
VLLM_REQUEST_ERRORS = (ValueError, *filter(None, [getattr(exceptions, "VLLMClientError", None)]))
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


def rss_mib() -> float:
    """This process's resident memory."""
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class SlowProxy:
    """A loopback TCP proxy in front of Redis whose replies are held for ``delay`` seconds."""

    def __init__(self, target_port: int, delay: float) -> None:
        self.target_port, self.delay = target_port, delay
        self.server: asyncio.Server | None = None
        self.connections: list[asyncio.Task] = []

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"redis://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/0"

    async def _serve(self, client_reader, client_writer) -> None:
        redis_reader, redis_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(reader, writer, delay: float) -> None:
            try:
                while data := await reader.read(65536):
                    await asyncio.sleep(delay)
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.close()

        piping = asyncio.gather(pipe(client_reader, redis_writer, 0), pipe(redis_reader, client_writer, self.delay))
        self.connections.append(piping)
        try:
            await piping
        except asyncio.CancelledError:  # stop(): the connection is dropped
            pass

    async def stop(self) -> None:
        self.server.close()
        for piping in self.connections:
            piping.cancel()
