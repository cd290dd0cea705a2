"""The three notebooks as stored: no outputs (small diffs, no tokens), and the workshop's exercise
solutions collapsed so students try first. Their execution is in the suite (nbmake) and in
tests/test_binder.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _cells(name: str) -> list[dict]:
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"]


@pytest.mark.parametrize("name", ["quickstart.ipynb", "prompt_lab.ipynb", "workshop.ipynb"])
def test_notebook_is_stored_without_outputs(name):
    code = [c for c in _cells(name) if c["cell_type"] == "code"]
    assert code
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)


def test_every_workshop_exercise_has_a_try_cell_then_a_collapsed_solution():
    cells = _cells("workshop.ipynb")
    exercises = [
        i
        for i, c in enumerate(cells)
        if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("### Exercise")
    ]
    assert len(exercises) >= 4
    for i in exercises:
        attempt, solution = cells[i + 1], cells[i + 2]
        assert "".join(attempt["source"]).strip() == "# your code here"
        assert solution["metadata"].get("jupyter", {}).get("source_hidden") is True
        assert "solution" in solution["metadata"].get("tags", [])
        assert "".join(solution["source"]).startswith("# Solution")
    # Hidden source only for solutions: the teaching cells stay visible.
    hidden = [c for c in cells if c["metadata"].get("jupyter", {}).get("source_hidden")]
    assert len(hidden) == len(exercises)
