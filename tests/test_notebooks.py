"""Every notebook in ``notebooks/`` runs top to bottom without error (offline)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: what the notebooks' ``ensure_demo()`` may leave in the repository's data folder
DEMO_FILES = ("demo.gpkg*", "demo.network.npz")


def _demo_files() -> set[Path]:
    return {p for pattern in DEMO_FILES for p in (ROOT / "data").glob(pattern)}


@pytest.fixture(scope="module", autouse=True)
def _remove_what_the_notebooks_built() -> Iterator[None]:
    """The notebooks open the demo store where planners find it (``data/demo.gpkg``): when
    the test run built it, remove it afterwards."""
    before = _demo_files()
    yield
    for path in _demo_files() - before:
        path.unlink(missing_ok=True)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
