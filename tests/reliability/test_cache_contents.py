"""Cache contents are data, never code: no pickle or eval of cached values anywhere in the packages,
and a corrupt, truncated, wrong-type or oversized entry (a decompression bomb included) is a miss
that is removed."""

from __future__ import annotations

import ast
import zlib
from pathlib import Path

import msgpack
import pytest

from enhanced_vllm.cache import codec
from tests.helpers import collect, greedy, unique_prompt

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("enhanced_vllm", "langchain_enhanced_vllm", "llamaindex_enhanced_vllm")
CODE_LOADERS = {"pickle", "cPickle", "dill", "marshal", "shelve", "cloudpickle", "joblib"}
# the one exception: the pinned POS-tagger package's own model file, never cache data
ALLOWED = {("enhanced_vllm/nlp/resources.py", "pickle")}


def _code_loading(path: Path) -> set[str]:
    """Modules that deserialize code imported by ``path``, and eval / exec calls in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names} & CODE_LOADERS
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module.split(".")[0]} & CODE_LOADERS
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("eval", "exec"):
            found.add(node.func.id)
    return found


def test_no_package_unpickles_or_evals():
    sources = [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")]
    assert len(sources) > 30
    offending = {
        (str(path.relative_to(ROOT)), name)
        for path in sources
        for name in _code_loading(path)
        if (str(path.relative_to(ROOT)), name) not in ALLOWED
    }
    assert not offending


def test_the_scan_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import pickle\nfrom marshal import loads\nvalue = eval('1')\n")
    assert _code_loading(sample) == {"pickle", "marshal", "eval"}


def _bomb(size: int) -> bytes:
    return b"z" + zlib.compress(b"\0" * size, 9)


@pytest.mark.parametrize(
    "blob",
    [
        b"r" + msgpack.packb({"v": 1, "outputs": "not a list", "prompt_token_ids": []}),
        b"r" + msgpack.packb({"v": 1, "outputs": [{"index": "x"}], "prompt_token_ids": [], "prompt": None}),
        b"r" + msgpack.packb([1, 2, 3]),
        b"z" + zlib.compress(b"r" * 100)[:-6],  # truncated stream
    ],
    ids=["outputs-not-a-list", "wrong-field-types", "not-a-map", "truncated-zlib"],
)
def test_wrong_shapes_are_corrupt(blob):
    with pytest.raises(codec.CorruptEntry):
        codec.decode(blob, "id")


def test_oversized_and_bomb_values_stop_at_the_limit(monkeypatch):
    monkeypatch.setattr(codec, "MAX_VALUE_BYTES", 1 << 20)
    with pytest.raises(codec.CorruptEntry, match="bytes >"):
        codec.decode(b"r" + b"\0" * (2 << 20), "id")
    bomb = _bomb(64 << 20)  # 64 MiB of zeros in ~64 KB
    assert len(bomb) < 100_000
    with pytest.raises(codec.CorruptEntry, match="inflates past"):
        codec.decode(bomb, "id")


async def test_a_bomb_in_redis_is_a_miss_and_is_replaced(redis_llm, monkeypatch):
    monkeypatch.setattr(codec, "MAX_VALUE_BYTES", 1 << 20)
    llm = redis_llm
    prompt, params = unique_prompt("a tinderbox"), greedy(max_tokens=4)
    key = llm.keys.build(prompt, params)
    bomb = _bomb(32 << 20)
    await llm.redis.store(key.tenant, key.digest, bomb)
    outputs = await collect(llm, prompt, params)
    assert outputs[-1].metadata["cached"] is False and outputs[-1].finished and outputs[-1].text
    assert llm.stats.events["corrupt"] == 1
    await llm.flush_cache_writes()
    blob = await llm.redis.lookup(key.tenant, key.digest)
    assert blob is not None and blob != bomb and codec.decode(blob, "x").outputs[0].text == outputs[-1].text
