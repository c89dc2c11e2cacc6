"""Session fixtures: one real engine on the bundled model, one real redis-server on loopback."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
import shutil
import socket
import subprocess
import time
import uuid

import pytest
import redis

from enhanced_vllm import CacheConfig, CacheType, EnhancedAsyncLLM, HandlerConfig


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server process on a free loopback port; ``stop``/``start`` simulate an outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: run `make setup`")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def engine():
    llm = EnhancedAsyncLLM(handler_config=HandlerConfig())
    yield llm
    await llm.cleanup()


@pytest.fixture
async def llm(engine):
    """The shared engine with fresh, empty in-memory caches."""
    engine.configure(CacheConfig(), HandlerConfig())
    yield engine
    assert not engine.flights.by_key, "a test left a generation in flight"


@pytest.fixture
async def redis_llm(engine, redis_server):
    """The shared engine with fresh caches and Redis as L2 (a key prefix of its own per test)."""
    if redis_server.process is None:
        redis_server.start()
    config = CacheConfig(
        cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix=f"test-{uuid.uuid4().hex[:8]}"
    )
    engine.configure(config, HandlerConfig())
    yield engine
