"""Re-execute the notebooks with small real draws (never a mocked sampler) so they cannot rot.

Each notebook reads ``SAIGAPOP_NB_DRAWS`` / ``SAIGAPOP_NB_TUNE`` / ``SAIGAPOP_NB_CHAINS`` (and
``SAIGAPOP_NB_MSE`` / ``SAIGAPOP_NB_OM_DRAWS`` for the management steps); here 50 draws x 2
chains after 100 tuning draws. Executing a notebook costs a real fit (walkthrough about
140 s on 2 cores, the four per-population notebooks 45-55 s each), so all five run in the
``slow`` tier and ``make test`` stays inside its 8-minute budget; the default tier checks
their structure and saved outputs, and runs the Assessment path they use
(tests/test_assessment.py, tests/test_cli.py) and a real NUTS fit (tests/model/test_model_fit.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SMALL = {
    "SAIGAPOP_NB_DRAWS": "50",
    "SAIGAPOP_NB_TUNE": "100",
    "SAIGAPOP_NB_CHAINS": "2",
    "SAIGAPOP_NB_MSE": "20",
    "SAIGAPOP_NB_OM_DRAWS": "100",
}
OURS = (
    "01_walkthrough.ipynb",
    "02_betpakdala.ipynb",
    "03_ural.ipynb",
    "04_ustyurt.ipynb",
    "05_bring_your_own_population.ipynb",
)
MAX_BYTES = 1_500_000


def _execute(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    for key, value in SMALL.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors


@pytest.mark.slow
def test_walkthrough_executes(monkeypatch):
    _execute("01_walkthrough.ipynb", monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("name", OURS[1:])
def test_notebook_executes(name, monkeypatch):
    _execute(name, monkeypatch)


@pytest.mark.parametrize("name", OURS)
def test_notebook_is_committed_executed_and_small(name):
    path = NOTEBOOKS / name
    assert path.stat().st_size < MAX_BYTES
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code
    assert all(c.get("execution_count") for c in code), "commit the notebook executed"
    sources = "".join("".join(c["source"]) for c in code)
    assert "SAIGAPOP_NB_DRAWS" in sources
