"""An AuditResult to files in --out (CSV for spreadsheets, audit.json for machines) and back.

The files hold exactly what the result holds (already suppressed), are the same bytes for the
same input and settings, and each is replaced atomically so a failed run leaves no half file.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from edupulse import __version__
from edupulse.fairness.audit import (
    GROUP_METRIC_COLUMNS,
    SUPPRESSED_COLUMNS,
    AuditResult,
    AuditSource,
    ListSummary,
)
from edupulse.fairness.disparity import COLUMNS as DISPARITY_COLUMNS
from edupulse.fairness.settings import AuditSettings

FORMAT = "edupulse-audit/1"
FILES = ("group_metrics.csv", "disparities.csv", "suppressed.csv", "audit.json")
MITIGATION_FILE = "mitigation.csv"

ERR_NOT_AUDIT = "{path}: not an EduPulse audit (expected {format!r}, found {found!r})"
ERR_NO_AUDIT = "{path}: no audit.json here; run `edupulse audit ... --out {dir}` first"


def write_audit(result: AuditResult, out: Path) -> list[Path]:
    """Write the audit files into `out` (created if needed); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "group_metrics.csv": result.group_metrics,
        "disparities.csv": result.disparities,
        "suppressed.csv": result.suppressed,
    }
    if result.mitigation is not None:
        tables[MITIGATION_FILE] = result.mitigation
    written = [atomic_write(out / name, df.to_csv(index=False, lineterminator="\n"))
               for name, df in tables.items()]
    written.append(atomic_write(out / "audit.json", json.dumps(to_json(result), indent=2) + "\n"))
    return written


def to_json(result: AuditResult) -> dict[str, Any]:
    source = dataclasses.asdict(result.source)
    source["details"] = dict(result.source.details)
    mitigation = result.mitigation
    return {
        "format": FORMAT,
        "edupulse_version": __version__,
        "settings": result.settings.model_dump(mode="json"),
        "source": source,
        "summary": dataclasses.asdict(result.summary),
        "notes": list(result.notes),
        "group_metrics": _records(result.group_metrics),
        "disparities": _records(result.disparities),
        "suppressed": _records(result.suppressed),
        "mitigation": None if mitigation is None else _records(mitigation),
    }


def read_audit(directory: Path) -> AuditResult:
    """The AuditResult saved in `directory` by write_audit (for `report equity --audit-dir`)."""
    path = directory / "audit.json"
    if not path.is_file():
        raise FileNotFoundError(ERR_NO_AUDIT.format(path=directory, dir=directory))
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(ERR_NOT_AUDIT.format(path=path, format=FORMAT, found=data.get("format")))
    source = data["source"]
    group_metrics = pd.DataFrame(data["group_metrics"], columns=list(GROUP_METRIC_COLUMNS))
    group_metrics["n"] = group_metrics["n"].astype("Int64")
    numeric = [c for c in GROUP_METRIC_COLUMNS if c not in ("attribute", "group", "n",
                                                            "suppressed")]
    group_metrics[numeric] = group_metrics[numeric].astype(float)
    group_metrics["suppressed"] = group_metrics["suppressed"].astype(bool)
    disparities = pd.DataFrame(data["disparities"], columns=list(DISPARITY_COLUMNS))
    disparities[["ratio", "lo", "hi"]] = disparities[["ratio", "lo", "hi"]].astype(float)
    mitigation = data.get("mitigation")
    return AuditResult(
        settings=AuditSettings.model_validate(data["settings"]),
        source=AuditSource(source["kind"], source["description"], source["outcome"],
                           tuple(source["details"].items())),
        summary=ListSummary(**data["summary"]),
        notes=tuple(data["notes"]),
        _group_metrics=group_metrics,
        _disparities=disparities,
        _suppressed=pd.DataFrame(data["suppressed"], columns=list(SUPPRESSED_COLUMNS)),
        _mitigation=None if mitigation is None else pd.DataFrame(mitigation),
    )


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar -> Python
        return _plain(value.item())
    return value


def atomic_write(path: Path, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
