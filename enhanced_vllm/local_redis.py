"""A throw-away ``redis-server`` on a free loopback port, for benchmarks, demos and tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import redis

from enhanced_vllm.errors import CacheUnavailable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalRedisServer:
    """``start()``/``stop()`` may be called repeatedly (the port is kept), e.g. to simulate an outage."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.process is not None

    def start(self, timeout: float = 5.0) -> LocalRedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise CacheUnavailable("redis-server is not installed (`apt-get install redis-server`)")
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise CacheUnavailable(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def __enter__(self) -> LocalRedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
