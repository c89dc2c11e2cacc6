"""The Python examples of README.md and docs/*.md, and a runner that executes them in one process."""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_RUN = "# before: not run"  # the first line of a "before" block whose package or server we do not ship
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True)
class Example:
    where: str  # file:line of the block's first line of code
    code: str

    @property
    def runs(self) -> bool:
        return not self.code.startswith(NOT_RUN)


def examples() -> list[Example]:
    found = []
    for document in DOCUMENTS:
        text = document.read_text()
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start(1)) + 1
            found.append(Example(f"{document.relative_to(ROOT)}:{line}", match.group(1)))
    return found


def run_all(report: Path) -> None:
    """Compile every example, execute those that run (each in a fresh namespace named ``__main__``,
    its output captured) and write {where: printed} to ``report``; the first failure stops the run."""
    printed: dict[str, str] = {}
    for example in examples():
        code = compile(example.code, example.where, "exec")
        if not example.runs:
            continue
        print(f"== {example.where}", file=sys.stderr, flush=True)
        output = io.StringIO()
        try:
            with contextlib.redirect_stdout(output):
                exec(code, {"__name__": "__main__"})  # our own documentation's code
        except BaseException:
            printed[example.where] = output.getvalue() + "\n" + traceback.format_exc()
            report.write_text(json.dumps({"printed": printed, "failed": example.where}))
            raise
        printed[example.where] = output.getvalue()
    report.write_text(json.dumps({"printed": printed, "failed": None}))


if __name__ == "__main__":  # vLLM's engine processes re-import this module: run only in the parent
    run_all(Path(sys.argv[1]))
