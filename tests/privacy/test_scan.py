"""Scanning files: notebooks cell by cell, HTML without tags, gzip, pickles, folders."""

from __future__ import annotations

import datetime as dt
import gzip
import pickle
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa

from edupulse.config import Settings
from edupulse.privacy.pii_index import PiiIndex, StudentIdentity
from edupulse.privacy.scan import build_index, default_roots, scan, scan_paths
from tests.db import factories as f

ADA = StudentIdentity("D01-000123", "Ada", "Quartermaine", dt.date(2010, 5, 1), "(555) 013-4567")


@pytest.fixture
def index() -> PiiIndex:
    return PiiIndex.from_students([ADA])


def _notebook(path: Path, output_text: str, html: str = "<p>cohort summary</p>") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"parameters": {"as_of": "2025-01-06"}}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Weekly risk list"),
        nbformat.v4.new_code_cell(
            "top = risk.head()\nprint(top)",
            outputs=[
                nbformat.v4.new_output("stream", name="stdout", text=f"n=25\n{output_text}\n"),
                nbformat.v4.new_output("display_data", data={"text/html": html,
                                                              "image/png": "iVBORw0KGgo="}),
            ],
        ),
    ]
    nbformat.write(nb, path)
    return path


def test_a_name_planted_in_a_notebook_output_is_caught(tmp_path: Path, index: PiiIndex) -> None:
    nb = _notebook(tmp_path / "run.ipynb", "1  Ada Quartermaine  0.91")
    findings = scan_paths([nb], index)
    assert [(f.location, f.kind, f.masked) for f in findings] == [
        ("cell 2 output 1 line 2", "name", "A** Q***********")]
    assert str(findings[0]) == f"{nb}:cell 2 output 1 line 2: name A** Q***********"
    assert "Quartermaine" not in str(findings[0])


def test_html_outputs_and_sources_are_scanned(tmp_path: Path, index: PiiIndex) -> None:
    nb = _notebook(tmp_path / "run.ipynb", "ok",
                   html="<table><tr><td>Ada</td><td>Quartermaine</td></tr></table>")
    text = nb.read_text().replace("print(top)", "print(top)  # D01-000123")
    nb.write_text(text)
    found = {(f.location, f.kind) for f in scan_paths([nb], index)}
    assert found == {("cell 2 output 2 line 1", "name"), ("cell 2 source line 2", "district_id")}


def test_a_clean_notebook_passes(tmp_path: Path, index: PiiIndex) -> None:
    nb = _notebook(tmp_path / "run.ipynb", "1  P-3f9a0c  0.91\n2  P-77b1e2  0.88")
    result = scan([nb], index)
    assert result.clean and result.files == 1


def test_reports_csv_json_gzip_and_pickles(tmp_path: Path, index: PiiIndex) -> None:
    (tmp_path / "report.html").write_text("<html>\n<li>Quartermaine, Ada &amp; family</li>\n")
    (tmp_path / "scores.csv").write_text("id,score\nP-1,0.3\nD01-000123,0.9\n")
    (tmp_path / "params.json").write_text('{"db": "postgresql://u:hunter2@h/db"}')
    with gzip.open(tmp_path / "export.csv.gz", "wt") as fh:
        fh.write("district_id,date_of_birth\nP-1,2010-07-01\nP-2,05/01/2010\n")
    (tmp_path / "model.pkl").write_bytes(pickle.dumps({"example": ["Ada Quartermaine"]}))
    (tmp_path / "plot.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = scan([tmp_path], index)
    got = {(Path(f.path).name, f.location.split(" ")[0], f.kind) for f in result.findings}
    assert got == {
        ("report.html", "line", "name"),
        ("scores.csv", "line", "district_id"),
        ("params.json", "line", "password"),
        ("export.csv.gz", "line", "date_of_birth"),
        ("model.pkl", "byte", "name"),
    }
    assert next(f for f in result.findings if f.kind == "date_of_birth").location == "line 3"
    assert result.skipped == (str(tmp_path / "plot.png"),) and result.files == 5
    assert all("hunter2" not in str(f) and "Quartermaine" not in str(f) for f in result.findings)


def test_large_clean_file_line_numbers_across_blocks(tmp_path: Path, index: PiiIndex) -> None:
    lines = [f"P-{i:06d},2025-01-06,present,{i % 7}\n" for i in range(60_000)]
    lines.insert(50_000, "P-x,Ada Quartermaine,absent,1\n")
    (tmp_path / "attendance.csv").write_text("".join(lines))
    findings = scan_paths([tmp_path / "attendance.csv"], index)
    assert [(f.location, f.kind) for f in findings] == [("line 50001", "name")]


def test_missing_path_is_an_error(tmp_path: Path, index: PiiIndex) -> None:
    with pytest.raises(FileNotFoundError, match="nope.ipynb: no such file or folder"):
        scan_paths([tmp_path / "nope.ipynb"], index)


def test_default_roots_are_the_publishing_folders(edupulse_home: Path) -> None:
    (edupulse_home / "mlartifacts").mkdir(parents=True)
    (edupulse_home / "runs").mkdir()
    (edupulse_home / "rejects").mkdir()  # rejected input rows are input data, not output
    roots = default_roots(Settings.from_env())
    assert roots == [edupulse_home / "mlartifacts", edupulse_home / "runs"]


def test_index_built_from_the_database_catches_its_students(engine: sa.Engine,
                                                           tmp_path: Path) -> None:
    with engine.begin() as conn:
        f.add_student(conn, first_name="Philippa", last_name="Ravenscroft")
    nb = _notebook(tmp_path / "run.ipynb", "Philippa Ravenscroft 0.97")
    assert [f.kind for f in scan_paths([nb], build_index(engine))] == ["name"]


def test_a_date_counts_as_a_birth_date_only_where_it_is_labelled(tmp_path: Path,
                                                                 index: PiiIndex) -> None:
    """Ada's birthday, 2010-05-01, is also an ordinary date: it is reported in a birth column
    or beside the word 'born', not as an enrollment date or an as-of date."""
    (tmp_path / "a.csv").write_text("id,enrollment_date,date_of_birth\nP-1,2010-05-01,"
                                    "2010-07-01\nP-2,2011-09-01,2010-05-01\n")
    (tmp_path / "b.md").write_text("Scores as of 2010-05-01.\n")
    (tmp_path / "c.md").write_text("Cohort notes\n\nAda was born on 2010-05-01.\n")
    nb = _notebook(tmp_path / "d.ipynb", "    id  date_of_birth\n0  P-2     2010-05-01")
    found = {(Path(f.path).name, f.location, f.kind) for f in scan_paths([tmp_path], index)}
    assert found == {("a.csv", "line 3", "date_of_birth"), ("c.md", "line 3", "date_of_birth"),
                     (nb.name, "cell 2 output 1 line 3", "date_of_birth")}
