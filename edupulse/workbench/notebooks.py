"""Reading notebooks: where they are, their parameters cell, whether they carry outputs.

Pure helpers over nbformat objects; running a notebook lives in `edupulse.workbench.run`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import nbformat
import yaml

NOTEBOOK_DIR = Path("notebooks")


class NotebookError(ValueError):
    """A notebook or its parameters are not usable; the message says which and why."""


def find_notebook(name: str, root: Path | None = None) -> Path:
    """A path, or a name like `05-score-students` / `05` looked up in notebooks/."""
    candidate = Path(name)
    if candidate.suffix == ".ipynb" and candidate.exists():
        return candidate
    folder = (root or Path.cwd()) / NOTEBOOK_DIR
    matches = sorted(folder.glob(f"{name}*.ipynb")) if folder.is_dir() else []
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(p.stem for p in sorted(folder.glob("*.ipynb"))) if folder.is_dir() else ""
    if not matches:
        raise NotebookError(f"no notebook {name!r} (in {folder}: {known or 'none'})")
    raise NotebookError(f"{name!r} is ambiguous: {', '.join(p.stem for p in matches)}")


def parameters_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell
    return None


def default_parameters(path: Path) -> dict[str, Any]:
    """The literals assigned in the `parameters` cell (which holds literals only, by rule)."""
    nb = nbformat.read(path, as_version=4)
    cell = parameters_cell(nb)
    if cell is None:
        raise NotebookError(f"{path}: no cell tagged 'parameters'")
    out: dict[str, Any] = {}
    for node in ast.parse(cell.source).body:
        if not (isinstance(node, ast.Assign | ast.AnnAssign)):
            raise NotebookError(f"{path}: the parameters cell may only assign literals")
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        if not isinstance(target, ast.Name) or node.value is None:
            raise NotebookError(f"{path}: the parameters cell may only assign literals")
        try:
            out[target.id] = ast.literal_eval(node.value)
        except ValueError as exc:
            raise NotebookError(f"{path}: parameter {target.id} is not a literal") from exc
    return out


def resolve_parameters(
    path: Path, pairs: Iterable[tuple[str, str]] = (), params_file: Path | None = None
) -> dict[str, Any]:
    """Overrides from a YAML file, then `-p NAME VALUE` pairs, checked against the notebook's
    own parameters and converted to the type of each default."""
    defaults = default_parameters(path)
    given: dict[str, Any] = {}
    if params_file is not None:
        loaded = yaml.safe_load(Path(params_file).read_text()) or {}
        if not isinstance(loaded, Mapping):
            raise NotebookError(f"{params_file}: expected a mapping of parameter names to values")
        given.update(loaded)
    given.update(dict(pairs))
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise NotebookError(
            f"{path.name}: unknown parameter(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(defaults))}"
        )
    return {k: _coerce(path, k, v, defaults[k]) for k, v in given.items()}


def _coerce(path: Path, name: str, value: Any, default: Any) -> Any:
    if not isinstance(value, str) or isinstance(default, str) or default is None:
        return value
    try:
        if isinstance(default, bool):
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return value.lower() in ("true", "1", "yes")
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        return ast.literal_eval(value)
    except (ValueError, SyntaxError) as exc:
        raise NotebookError(
            f"{path.name}: parameter {name}={value!r} is not a {type(default).__name__}"
        ) from exc


def cells_with_outputs(path: Path) -> list[int]:
    """Indexes of code cells that carry outputs or execution counts (committed notebooks
    must carry neither)."""
    nb = nbformat.read(path, as_version=4)
    return [
        i for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]


def strip_outputs(path: Path) -> bool:
    """Remove outputs and execution counts in place; True if anything changed."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
            cell.outputs, cell.execution_count = [], None
            changed = True
    if changed:
        nbformat.write(nb, path)
    return changed
