"""NLP analysis beside generation, in worker processes: NLTK's pure-Python work never holds the
GIL the event loop needs (analysis threads cost the loop GIL waits on every I/O call on a GPU).

The loop writes one JSON line per question to a worker's stdin and reads results from its stdout
with ``add_reader``: no task, thread or future per request. A result is written into the request's
metadata, which outputs read when their metadata is first assembled; a result still missing when
the request finishes is computed then (``EnhancedRequestOutputCollector.annotate_now``). Workers
start on first use. Too many analyses waiting means overload: one is skipped (``nlp_result`` says
so) and the caller counts it. A worker that dies leaves its requests to the inline fallback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from typing import Any

logger = logging.getLogger(__name__)

SKIPPED = {"skipped": "overload"}


class _Worker:
    """One analysis process and its pipes, driven by the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, on_reply: Any, on_exit: Any) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "enhanced_vllm.nlp.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._loop, self._on_reply, self._on_exit = loop, on_reply, on_exit
        self._stdin, self._stdout = self.process.stdin.fileno(), self.process.stdout.fileno()
        os.set_blocking(self._stdin, False)
        self._outbox = bytearray()
        self._inbox = b""
        loop.add_reader(self._stdout, self._read)

    def send(self, line: bytes) -> None:
        waiting = bool(self._outbox)
        self._outbox += line
        if not waiting:
            self._write()

    def _write(self) -> None:
        try:
            written = os.write(self._stdin, self._outbox)
        except BlockingIOError:
            written = 0
        except OSError:  # the worker is gone; _read sees its end
            self._outbox.clear()
            return
        del self._outbox[:written]
        if self._outbox:
            self._loop.add_writer(self._stdin, self._write)
        else:
            self._loop.remove_writer(self._stdin)

    def _read(self) -> None:
        data = os.read(self._stdout, 1 << 16)
        if not data:
            self.close()
            self._on_exit(self)
            return
        *lines, self._inbox = (self._inbox + data).split(b"\n")
        for line in lines:
            reply = json.loads(line)
            self._on_reply(reply["id"], reply["result"])

    def close(self) -> None:
        for remove, fd in ((self._loop.remove_reader, self._stdout), (self._loop.remove_writer, self._stdin)):
            try:
                remove(fd)
            except (RuntimeError, ValueError):  # the loop is closed already
                pass
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()


class BackgroundAnalyzer:
    def __init__(self, processes: int, max_pending: int) -> None:
        self.processes = processes
        self.max_pending = max_pending
        self._workers: list[_Worker] = []
        self._pending: dict[int, Any] = {}  # request number -> collector
        self._next = 0
        self._failed = False

    def submit(self, collector: Any, text: str) -> bool:
        """Analyse ``text`` for ``collector`` soon; False (and ``nlp_result`` marked skipped) when
        ``max_pending`` analyses are waiting already."""
        if len(self._pending) >= self.max_pending:
            collector.annotate = None
            collector.metadata["nlp_result"] = SKIPPED
            return False
        if not self._workers and not self._start():
            return True  # no worker: analysed when the request finishes
        number, self._next = self._next, self._next + 1
        self._pending[number] = collector
        self._workers[number % len(self._workers)].send(json.dumps({"id": number, "text": text}).encode() + b"\n")
        return True

    @property
    def pids(self) -> list[int]:
        return [worker.process.pid for worker in self._workers]

    def _start(self) -> bool:
        if self._failed:
            return False
        loop = asyncio.get_running_loop()
        try:
            self._workers = [_Worker(loop, self._on_reply, self._on_exit) for _ in range(self.processes)]
        except OSError as exc:
            logger.warning("NLP worker processes did not start (%r); analysing when requests finish", exc)
            self._failed = True
        return bool(self._workers)

    def _on_reply(self, number: int, result: dict) -> None:
        collector = self._pending.pop(number, None)
        if collector is not None and collector.metadata["nlp_result"] is None:
            collector.metadata["nlp_result"] = result

    def _on_exit(self, worker: _Worker) -> None:
        logger.warning(
            "an NLP worker process exited (code %s); analysing when requests finish", worker.process.returncode
        )
        self._workers.remove(worker)
        self._pending.clear()
        self._failed = not self._workers

    def close(self) -> None:
        for worker in self._workers:
            worker.close()
        self._workers = []
        self._pending.clear()
