"""The semantic store's Chroma collection, in a process of its own (``semantic.chroma_worker``).

Calls block the calling thread (the stage's worker threads, or a caller outside the loop) while
the pipe wait releases the GIL, so a Chroma write never stalls the event loop. A process that
died is started again on the next call; the call that found it dead raises
:class:`ChromaError`, which the stage treats as any Chroma failure (a miss, health degraded).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any

import numpy as np

from enhanced_vllm.config import SimilarityConfig
from enhanced_vllm.semantic.wire import decode_vectors, encode_vectors


class ChromaError(RuntimeError):
    """The Chroma process failed an operation, could not open the collection, or exited."""


class ChromaCollection:
    """The collection a ``SimilarityConfig`` names. In one process, every collection on the same
    persistent folder shares one Chroma process (the folder's store serves one process)."""

    def __init__(self, config: SimilarityConfig) -> None:
        request = {
            "op": "open",
            "mode": config.chroma_mode,
            "path": str(config.chroma_path),
            "host": config.chroma_host,
            "port": config.chroma_port,
            "collection": config.collection_name,
        }
        self._shared_key = json.dumps(request, sort_keys=True) if config.chroma_mode == "persistent" else None
        self._closed = False
        with _SHARED_LOCK:
            worker = _SHARED.get(self._shared_key) if self._shared_key else None
            if worker is None:
                worker = _ChromaProcess(request)  # raises ChromaError if it cannot open the collection
                if self._shared_key:
                    _SHARED[self._shared_key] = worker
            worker.users += 1
        self._worker = worker

    def add(self, ids: list[str], embeddings: np.ndarray, metadatas: list[dict[str, Any]]) -> None:
        self._call({"op": "add", "ids": ids, "embeddings": encode_vectors(embeddings), "metadatas": metadatas})

    def get(self, where: dict, limit: int, offset: int) -> dict[str, Any]:
        """``{"ids", "embeddings" (an array), "metadatas"}`` of the entries matching ``where``."""
        batch = self._call({"op": "get", "where": where, "limit": limit, "offset": offset})
        return {**batch, "embeddings": decode_vectors(batch["embeddings"])}

    def delete(self, ids: list[str] | None = None, where: dict | None = None) -> None:
        self._call({"op": "delete", "ids": ids, "where": where})

    def count(self) -> int:
        return self._call({"op": "count"})

    def read_epoch(self, namespace: str) -> int:
        return self._call({"op": "read_epoch", "namespace": namespace})

    def bump_epoch(self, namespace: str) -> int:
        return self._call({"op": "bump_epoch", "namespace": namespace})

    def close(self) -> None:
        """Closed for this user; the process stops with its last user."""
        with _SHARED_LOCK:
            if self._closed:
                return
            self._closed = True
            self._worker.users -= 1
            last = self._worker.users == 0
            if last and self._shared_key:
                del _SHARED[self._shared_key]
        if last:
            self._worker.stop()

    def _call(self, request: dict[str, Any]) -> Any:
        if self._closed:
            raise ChromaError("the semantic store is closed")
        return self._worker.call(request)


class _ChromaProcess:
    """One Chroma process with its collection open; calls are serialised by a lock."""

    def __init__(self, open_request: dict[str, Any]) -> None:
        self._open_request = open_request
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._stopped = False
        self.users = 0
        with self._lock:
            self._start()

    def call(self, request: dict[str, Any]) -> Any:
        with self._lock:
            if self._stopped:
                raise ChromaError("the semantic store is closed")
            if self._process is None or self._process.poll() is not None:
                self._start()
            return self._exchange(request)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._process is not None:
                self._stop()

    def _start(self) -> None:
        """Start the process and open the collection; raises ChromaError if it cannot."""
        if self._process is not None:
            self._stop()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "enhanced_vllm.semantic.chroma_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            self._exchange(self._open_request)
        except ChromaError:
            self._stop()
            raise

    def _exchange(self, request: dict[str, Any]) -> Any:
        process = self._process
        try:
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
            line = process.stdout.readline()
        except (OSError, ValueError) as exc:
            raise ChromaError(f"the Chroma process is gone ({exc!r})") from exc
        if not line:
            raise ChromaError(f"the Chroma process exited (code {process.wait()})")
        reply = json.loads(line)
        if "error" in reply:
            raise ChromaError(reply["error"])
        return reply["ok"]

    def _stop(self) -> None:
        process, self._process = self._process, None
        process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


_SHARED: dict[str, _ChromaProcess] = {}  # persistent collections open in this process
_SHARED_LOCK = threading.Lock()
