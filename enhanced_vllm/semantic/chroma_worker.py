"""The Chroma process (``python -m enhanced_vllm.semantic.chroma_worker``): one JSON request per
line in, one reply per line out. Chroma's local engine holds the GIL for the whole of a write
(~40 ms for 64 entries), so it runs here, never in the process that serves the engine's outputs.

The first request opens the collection (``{"op": "open", ...}`` with the ``SimilarityConfig``
fields that choose the client); a failure to open is replied and the process exits. The collection's
metadata holds each namespace's epoch (``epoch:<namespace>``), read afresh from the client each time
so that a bump by another process is seen.

Chroma's embedded (persistent) store is not safe for several processes: a second client on the same
folder blocks on the first one's file locks for minutes. The worker holds an exclusive lock on the
folder while it lives; a second one finds it taken and fails to open at once, with a message that
says what to do (the stage then runs without the semantic level, as for any Chroma failure).
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from pathlib import Path
from typing import Any

from enhanced_vllm.semantic.wire import decode_vectors, encode_vectors

EPOCH_PREFIX = "epoch:"
LOCK_FILE = ".enhanced_vllm.lock"
_HELD: list[Any] = []  # the folder's lock file, open (so locked) until this process exits


def _lock_folder(path: str) -> Any:
    """The open lock file, held until this process exits; raises if another process holds it."""
    Path(path).mkdir(parents=True, exist_ok=True)
    lock = open(Path(path) / LOCK_FILE, "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "another process"
        lock.close()
        raise RuntimeError(
            f"the persistent semantic store {path} is open in {holder}; Chroma's embedded store serves one "
            "process: give each process its own chroma_path, or share a Chroma server (chroma_mode='http')"
        ) from None
    lock.truncate(0)
    lock.write(f"process {os.getppid()}")
    lock.flush()
    return lock


def _open(request: dict[str, Any]) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=False)
    if request["mode"] == "http":
        client = chromadb.HttpClient(host=request["host"], port=request["port"], settings=settings)
    elif request["mode"] == "ephemeral":
        client = chromadb.EphemeralClient(settings=settings)
    else:
        _HELD.append(_lock_folder(request["path"]))
        client = chromadb.PersistentClient(path=request["path"], settings=settings)
    collection = client.get_or_create_collection(
        request["collection"], embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )
    return client, collection


def _run(client: Any, collection: Any, request: dict[str, Any]) -> Any:
    op = request["op"]
    if op == "add":
        collection.add(
            ids=request["ids"], embeddings=decode_vectors(request["embeddings"]), metadatas=request["metadatas"]
        )
        return None
    if op == "get":
        where, limit, offset = request["where"], request["limit"], request["offset"]
        batch = collection.get(where=where, include=["embeddings", "metadatas"], limit=limit, offset=offset)
        return {"ids": batch["ids"], "embeddings": encode_vectors(batch["embeddings"]), "metadatas": batch["metadatas"]}
    if op == "delete":
        collection.delete(ids=request.get("ids"), where=request.get("where"))
        return None
    if op == "count":
        return collection.count()
    if op in ("read_epoch", "bump_epoch"):
        metadata = dict(client.get_collection(collection.name).metadata or {})
        name = EPOCH_PREFIX + request["namespace"]
        if op == "bump_epoch":
            metadata[name] = int(metadata.get(name, 0)) + 1
            collection.modify(metadata=metadata)
        return int(metadata.get(name, 0))
    raise ValueError(f"unknown operation {op!r}")


def main() -> None:
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the reply stream
    opened = None
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if opened is None:
                opened = _open(request)
                reply: dict[str, Any] = {"ok": None}
            else:
                reply = {"ok": _run(*opened, request)}
        except Exception as exc:
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
        if opened is None:
            return  # could not open: the caller raises


if __name__ == "__main__":
    main()
