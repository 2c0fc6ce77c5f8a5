"""Notebook helpers: lookup, the parameters cell, typed overrides, stripping outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from edupulse.workbench.notebooks import (
    NotebookError,
    cells_with_outputs,
    default_parameters,
    find_notebook,
    resolve_parameters,
    strip_outputs,
)


def make_notebook(path: Path, params: str, body: str = "x = 1") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), p, nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)
    return path


def test_find_notebook_by_prefix(tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    a = make_notebook(tmp_path / "notebooks" / "01-explore-data.ipynb", "a = 1")
    make_notebook(tmp_path / "notebooks" / "02-build-features.ipynb", "a = 1")
    assert find_notebook("01", tmp_path) == a
    assert find_notebook("01-explore", tmp_path) == a
    with pytest.raises(NotebookError, match="ambiguous"):
        find_notebook("0", tmp_path)
    with pytest.raises(NotebookError, match="no notebook '09'.*01-explore-data"):
        find_notebook("09", tmp_path)


def test_default_and_resolved_parameters_keep_types(tmp_path: Path) -> None:
    nb = make_notebook(tmp_path / "n.ipynb",
                       'db_url = ""\nas_of = "2025-01-06"\ntop_pct = 10.0\nn_boot = 200\n'
                       "show_plots = True")
    assert default_parameters(nb) == {"db_url": "", "as_of": "2025-01-06", "top_pct": 10.0,
                                      "n_boot": 200, "show_plots": True}
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text("n_boot: 50\nas_of: '2025-02-03'\n")
    got = resolve_parameters(nb, [("top_pct", "5"), ("show_plots", "false"), ("n_boot", "7")],
                             yaml_file)
    assert got == {"top_pct": 5.0, "show_plots": False, "n_boot": 7, "as_of": "2025-02-03"}


@pytest.mark.parametrize(("pairs", "message"), [
    ([("nope", "1")], r"unknown parameter\(s\) nope; known: as_of, n_boot"),
    ([("n_boot", "many")], "parameter n_boot='many' is not a int"),
])
def test_bad_parameters_are_refused(tmp_path: Path, pairs: list, message: str) -> None:
    nb = make_notebook(tmp_path / "n.ipynb", 'as_of = "2025-01-06"\nn_boot = 200')
    with pytest.raises(NotebookError, match=message):
        resolve_parameters(nb, pairs)


def test_parameters_cell_must_hold_literals(tmp_path: Path) -> None:
    nb = make_notebook(tmp_path / "n.ipynb", "import os\nhome = os.getcwd()")
    with pytest.raises(NotebookError, match="only assign literals"):
        default_parameters(nb)
    bare = tmp_path / "bare.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), bare)
    with pytest.raises(NotebookError, match="no cell tagged 'parameters'"):
        default_parameters(bare)


def test_strip_outputs(tmp_path: Path) -> None:
    path = make_notebook(tmp_path / "n.ipynb", "a = 1")
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="hi")]
    nb.cells[2].execution_count = 3
    nbformat.write(nb, path)
    assert cells_with_outputs(path) == [2]
    assert strip_outputs(path) is True
    assert cells_with_outputs(path) == []
    assert strip_outputs(path) is False
