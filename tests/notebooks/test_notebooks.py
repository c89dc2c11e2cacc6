"""The six notebooks run top to bottom in a real Jupyter kernel (no outputs committed), print what they say,
and save their plots as PNGs.

They run in one kernel, in order, as a user working through them would: each notebook imports and starts what
it uses itself; the kernel is shared so that the adapters' notebooks (04, 05) share one engine, as they would."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
PRINTS = {  # what each notebook's output must show
    "01_quickstart": ["None", "memory", "semantic", "sub-questions"],
    "02_caching": ["redis", "semantic hits", "chosen: threshold", "max-age=0 regenerates: None", "negation differs"],
    "03_nlp": ["Who wrote Hamlet?", "When was Hamlet written?", "Q: How many people live in Japan?"],
    "04_langchain": ["semantic", "1 chunk(s), last says memory", "City(name=", "first answer | first answer"],
    "05_llamaindex": ["-> memory", "Tokyo", "'cached': True"],
    "06_batch_and_health": ["'status': 'healthy'", "memory", "enhanced_vllm_cache_lookups_total"],
}
PLOTS = ["latency_by_level.png", "hit_rate_by_threshold.png"]


def test_six_notebooks_without_committed_outputs_and_plots_shown_in_the_docs():
    assert [p.stem for p in NOTEBOOKS] == list(PRINTS)
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert not any(cell.get("outputs") or cell.get("execution_count") for cell in code), path.name
    docs = "".join(p.read_text() for p in (NOTEBOOK_DIR.parent / "docs").glob("*.md"))
    for plot in PLOTS:
        assert (NOTEBOOK_DIR.parent / "docs" / "img" / plot).is_file() and f"img/{plot}" in docs


@pytest.mark.slow
def test_notebooks_run_top_to_bottom(tmp_path, monkeypatch):
    monkeypatch.setenv("ENHANCED_VLLM_NOTEBOOK_IMG_DIR", str(tmp_path))  # not over the committed plots
    notebooks = {path.stem: nbformat.read(path, as_version=4) for path in NOTEBOOKS}
    combined = nbformat.v4.new_notebook(cells=[cell for notebook in notebooks.values() for cell in notebook.cells])
    combined.metadata = next(iter(notebooks.values())).metadata
    client = NotebookClient(
        combined, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK_DIR)}}
    )
    client.execute()
    ran = iter(client.nb.cells)
    for name, notebook in notebooks.items():
        outputs = [o for _ in notebook.cells for o in next(ran).get("outputs", [])]
        printed = "".join(o.get("text", "") or str(o.get("data", {}).get("text/plain", "")) for o in outputs)
        for expected in PRINTS[name]:
            assert expected in printed, (name, expected, printed[-3000:])
    for plot in PLOTS:
        assert (tmp_path / plot).stat().st_size > 10_000
