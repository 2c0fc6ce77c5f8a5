"""`edupulse run`: execute a notebook with papermill, check it for student PII, log it to MLflow.

The executed copy goes to $EDUPULSE_HOME/runs/<timestamp>-<name>.ipynb. A database URL with a
password never enters the notebook: it reaches the kernel through EDUPULSE_DATABASE_URL and the
notebook's `db_url` parameter stays empty. Nothing is logged when a cell fails or when the privacy
scan finds a student's name, contact, date of birth or SIS id in the executed notebook.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from edupulse.config import Settings, mask_url

MLFLOW_EXPERIMENT = "edupulse-notebooks"


class NotebookFailed(RuntimeError):
    """A cell raised; the message names the cell and the error."""

    def __init__(self, notebook: str, cell_index: int, ename: str, evalue: str, output: Path):
        self.cell_index, self.ename, self.evalue, self.output = cell_index, ename, evalue, output
        super().__init__(
            f"{notebook}: cell {cell_index} failed with {ename}: {evalue} (executed copy: {output})"
        )


class PrivacyViolation(RuntimeError):
    """The executed notebook contains student PII; it was not logged."""


@dataclass(frozen=True)
class NotebookRun:
    notebook: Path
    output: Path
    parameters: Mapping[str, Any]
    mlflow_run_id: str | None


def _has_password(value: Any) -> bool:
    if not isinstance(value, str) or "://" not in value:
        return False
    try:
        return make_url(value).password is not None
    except Exception:
        return False


@contextmanager
def _environ(updates: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in updates}
    os.environ.update(updates)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def split_secrets(parameters: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Move a password-bearing `db_url` out of the parameters into the kernel's environment."""
    params, env = dict(parameters), {}
    if _has_password(params.get("db_url")):
        env["EDUPULSE_DATABASE_URL"] = params.pop("db_url")
        params["db_url"] = ""
    return params, env


def execute(
    notebook: Path, parameters: Mapping[str, Any], settings: Settings, *, cwd: Path | None = None
) -> Path:
    """Run `notebook` on a real kernel; returns the executed copy or raises NotebookFailed."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    runs = settings.home / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    output = runs / f"{stamp}-{notebook.stem}.ipynb"
    params, env = split_secrets(parameters)
    env.setdefault("EDUPULSE_HOME", str(settings.home))
    with _environ(env):
        try:
            papermill.execute_notebook(
                str(notebook), str(output), parameters=params, kernel_name="python3",
                progress_bar=sys.stderr.isatty(), cwd=str(cwd or Path.cwd()),
            )
        except PapermillExecutionError as exc:
            raise NotebookFailed(
                notebook.name, exc.cell_index, exc.ename, exc.evalue, output
            ) from None
    return output


def check_privacy(path: Path, settings: Settings) -> None:
    """Refuse (PrivacyViolation) when the executed notebook names a student in the database."""
    from edupulse.db.session import make_engine
    from edupulse.privacy.scan import build_index, scan_paths

    engine = make_engine(settings.database_url)
    try:
        findings = scan_paths([path], build_index(engine))
    finally:
        engine.dispose()
    if findings:
        lines = "\n".join(f"  {f}" for f in findings[:20])
        more = f"\n  ... and {len(findings) - 20} more" if len(findings) > 20 else ""
        raise PrivacyViolation(
            f"{path}: student PII found, not logged to MLflow:\n{lines}{more}"
        )


def log_run(
    notebook: Path, output: Path, parameters: Mapping[str, Any], settings: Settings
) -> str:
    """Log the executed notebook and its (masked) parameters as one MLflow run."""
    import mlflow

    from edupulse.tracking.setup import ensure_experiment

    experiment_id = ensure_experiment(settings, MLFLOW_EXPERIMENT)
    shown = {k: mask_url(v) if _has_password(v) else v for k, v in parameters.items()}
    with mlflow.start_run(experiment_id=experiment_id, run_name=notebook.stem) as run:
        mlflow.set_tags({"edupulse.notebook": notebook.name, "edupulse.kind": "notebook-run"})
        mlflow.log_params({k: str(v)[:500] for k, v in shown.items()})
        mlflow.log_param("database", settings.safe_database_url)
        mlflow.log_artifact(str(output), artifact_path="notebook")
        return run.info.run_id


def run_notebook(
    notebook: Path, parameters: Mapping[str, Any], settings: Settings, *,
    cwd: Path | None = None, log: bool = True,
) -> NotebookRun:
    output = execute(notebook, parameters, settings, cwd=cwd)
    effective = Settings.from_env(parameters.get("db_url") or None) if "db_url" in parameters \
        else settings
    check_privacy(output, effective)
    run_id = log_run(notebook, output, parameters, settings) if log else None
    return NotebookRun(notebook, output, dict(parameters), run_id)
