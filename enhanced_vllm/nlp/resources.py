"""Offline NLTK resources. WordNet 3.0 comes from Debian's ``wordnet-base`` package (installed by
``make setup``), copied once into ``<models_root()>/nltk_data/corpora/wordnet`` with the two small
files NLTK's reader expects and Debian omits. ``enhanced-vllm setup`` prepares it.
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path
from typing import Any

from enhanced_vllm.errors import EnhancedVLLMError
from enhanced_vllm.models import models_root

DEBIAN_WORDNET = Path("/usr/share/wordnet")
_LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
    "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location noun.motive "
    "noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process noun.quantity "
    "noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change verb.cognition "
    "verb.communication verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion "
    "verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()
_POS_NUMBER = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}


class NLTKResourceMissing(EnhancedVLLMError):
    """An NLTK resource is not installed; the message names it and how to install it."""


def nltk_data_dir() -> Path:
    return Path(os.environ.get("ENHANCED_VLLM_NLTK_DATA", models_root() / "nltk_data"))


def wordnet_dir() -> Path:
    return nltk_data_dir() / "corpora" / "wordnet"


def prepare_wordnet(source: Path = DEBIAN_WORDNET) -> Path:
    """Copy WordNet's database files from ``source`` into our NLTK data folder (idempotent)."""
    target = wordnet_dir()
    if (target / "lexnames").is_file():
        return target
    if not (source / "data.noun").is_file():
        raise NLTKResourceMissing(
            f"NLTK resource 'wordnet' is missing: no WordNet database in {source} "
            "(install Debian's 'wordnet-base', e.g. `apt-get install wordnet-base`, then run `enhanced-vllm setup`)"
        )
    partial = target.with_name("wordnet.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name in os.listdir(source):
        if name.startswith(("data.", "index.")) or name.endswith(".exc"):
            shutil.copyfile(source / name, partial / name)
    lines = (f"{i:02d}\t{name}\t{_POS_NUMBER[name.split('.')[0]]}\n" for i, name in enumerate(_LEXNAMES))
    (partial / "lexnames").write_text("".join(lines))
    (partial / "index.sense").touch()  # sense keys are not used; NLTK only needs the file to exist
    partial.replace(target)
    return target


@functools.cache
def wordnet() -> Any:
    """The WordNet corpus reader (loaded once, ~2 s)."""
    import warnings

    import nltk
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    root = wordnet_dir()
    if not (root / "lexnames").is_file():
        raise NLTKResourceMissing(
            f"NLTK resource 'wordnet' is missing at {root}: run `enhanced-vllm setup` "
            "(`make setup` in a clone of the project)"
        )
    if str(nltk_data_dir()) not in nltk.data.path:
        nltk.data.path.insert(0, str(nltk_data_dir()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "multilingual functions are not available": not used
        return WordNetCorpusReader(str(root), None)


if __name__ == "__main__":  # what `enhanced-vllm setup` does for WordNet, for scripts that call it this way
    print(f"[nlp] wordnet ready at {prepare_wordnet()}")


@functools.cache
def pos_tagger() -> Any:
    """NLTK Brill tagger (Universal Dependencies tags) shipped by the pinned package
    ``brill-postagger``. The model is a pickle, so it is only ever loaded from that installed
    package, never from a user-supplied path."""
    import pickle

    try:
        import brill_postaggers
    except ImportError as exc:
        raise NLTKResourceMissing(
            "NLTK resource 'brill_postaggers/en_ewt-ud-brill' is missing: install the package "
            "'brill-postagger' (`pip install enhanced-vllm[semantic]`)"
        ) from exc
    model = Path(brill_postaggers.__file__).parent / "en_ewt-ud-brill.pkl"
    if not model.is_file():
        raise NLTKResourceMissing(f"NLTK resource 'en_ewt-ud-brill' is missing: {model} does not exist")
    with open(model, "rb") as f:
        return pickle.load(f)  # the pinned package's own model file (see docstring)
