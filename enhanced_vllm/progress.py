"""Progress bars for the long commands: on stderr, and only where stderr is a terminal, so stdout
keeps its JSON and logs, pipes and CI output stay clean."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import IO, Any

from tqdm import tqdm


def progress(
    iterable: Iterable[Any] | None = None,
    *,
    total: int | None = None,
    desc: str,
    unit: str = "it",
    file: IO | None = None,
) -> tqdm:
    """A tqdm bar on ``file`` (default stderr), disabled unless that stream is a terminal."""
    stream = file if file is not None else sys.stderr
    return tqdm(iterable, total=total, desc=desc, unit=unit, file=stream, disable=not stream.isatty(), leave=False)
