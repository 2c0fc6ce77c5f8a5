"""The committed notebooks: stripped of outputs, a `parameters` cell of literals first, defaults
that run on data/sample/, and no cell that reads a student's name or contact."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import nbformat
import pytest

from edupulse.config import Settings
from edupulse.workbench.notebooks import cells_with_outputs, default_parameters, parameters_cell
from edupulse.workbench.run import NotebookFailed, run_notebook

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("01-explore-data", "02-build-features", "03-train-models", "04-fairness-audit",
         "05-score-students", "06-equity-report")
SAMPLE_FIRST, SAMPLE_LAST = dt.date(2024, 8, 26), dt.date(2025, 5, 2)
PII = ("first_name", "last_name", "parent_contact", "date_of_birth", "names=True", "--names")


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)


def test_exactly_the_six_numbered_notebooks_are_committed() -> None:
    assert sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb")) == list(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs_or_execution_counts(name: str) -> None:
    path = ROOT / "notebooks" / f"{name}.ipynb"
    assert cells_with_outputs(path) == [], f"{path}: strip it (nbstripout or strip_outputs)"
    nbformat.validate(_read(name))


@pytest.mark.parametrize("name", NAMES)
def test_first_code_cell_is_a_parameters_cell_of_literals(name: str) -> None:
    nb = _read(name)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert parameters_cell(nb) is first
    for node in ast.parse(first.source).body:  # assignments of literals, nothing else
        assert isinstance(node, ast.Assign) and len(node.targets) == 1
        assert isinstance(node.targets[0], ast.Name)
        ast.literal_eval(node.value)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_run_on_the_sample(name: str) -> None:
    params = default_parameters(ROOT / "notebooks" / f"{name}.ipynb")
    assert params["db_url"] == ""  # the default database of $EDUPULSE_HOME
    if "sample_dir" in params:
        assert params["sample_dir"] == "data/sample"
        assert (ROOT / params["sample_dir"] / "students.csv.gz").is_file()
    if "experiment" in params:
        assert params["experiment"].startswith("experiments/")
        assert (ROOT / params["experiment"]).is_file()
    for key in ("as_of", "outcome_as_of"):
        if key in params:
            assert SAMPLE_FIRST <= dt.date.fromisoformat(params[key]) <= SAMPLE_LAST
    for key in ("out_dir", "district", "school"):
        if key in params:
            assert params[key] == ""  # empty: a folder under $EDUPULSE_HOME / every district
    if "force_promotion" in params:
        assert params["force_promotion"] is False  # never force past the gate by default


def test_outcome_dates_have_a_closed_label_window() -> None:
    """05 scores, and 06 reports on, a date whose 84 days of outcomes are in the sample."""
    scored = default_parameters(ROOT / "notebooks" / "05-score-students.ipynb")
    report = default_parameters(ROOT / "notebooks" / "06-equity-report.ipynb")
    assert report["as_of"] == scored["outcome_as_of"]
    assert dt.date.fromisoformat(report["as_of"]) + dt.timedelta(days=84) <= SAMPLE_LAST


@pytest.mark.parametrize("name", NAMES)
def test_no_cell_reads_names_or_contacts(name: str) -> None:
    for cell in _read(name).cells:  # check cells may name the columns they prove absent
        if cell.cell_type != "code" or cell.source.startswith("# checks"):
            continue
        found = [p for p in PII if p in cell.source]
        assert not found, f"{name}: a cell mentions {found}"


@pytest.mark.parametrize("name", NAMES)
def test_derived_values_follow_and_checks_are_asserts(name: str) -> None:
    nb = _read(name)
    codes = [c for c in nb.cells if c.cell_type == "code"]
    assert "steps.connect(db_url)" in codes[1].source  # the cell after the parameters
    checks = [c for c in codes if c.source.startswith("# checks")]
    assert checks and all("assert " in c.source for c in checks)
    assert any("nbval" in c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("name", ["04-fairness-audit", "05-score-students", "06-equity-report"])
def test_notebooks_after_03_need_the_champion_before_any_work(name: str) -> None:
    setup = [c for c in _read(name).cells if c.cell_type == "code"][1]
    assert "steps.champion(engine)" in setup.source


def test_the_scheduled_notebook_stops_with_what_to_run_first(db_url: str, engine,  # type: ignore[no-untyped-def]
                                                             edupulse_home: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             ) -> None:
    """Without an active model (03 not run, or its gate refused) 05 fails at its set-up cell
    (as 04 and 06 do) and the error says how to get one; nothing is logged."""
    monkeypatch.chdir(ROOT)
    with pytest.raises(NotebookFailed) as info:
        run_notebook(ROOT / "notebooks" / "05-score-students.ipynb", {"db_url": db_url},
                     Settings.from_env(), log=False)
    assert info.value.ename == "WorkbenchError"
    assert "no active model. Notebook 03 did not promote one" in info.value.evalue
    assert "force_promotion=True" in info.value.evalue
