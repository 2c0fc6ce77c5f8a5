"""External scored lists (CSV from a vendor or a researcher): read and validate, no database.

Every problem names the file, the line (the header is line 1) and the column, and all problems
are reported at once so a district fixes the file in one pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from edupulse.fairness.audit import AuditSource, ScoredList

MAX_LISTED = 20

ERR_NO_FILE = "file not found"
ERR_EMPTY = "the file is empty (no header line)"
ERR_NO_ROWS = "the file has a header but no data rows"
ERR_MISSING_COLUMN = "column is missing; the header has {columns}"
ERR_ROLE_TWICE = "column is used both as {a} and as {b}"
ERR_BLANK_ID = "student id is blank"
ERR_DUPLICATE_ID = "student id appears more than once (also on line {other})"
ERR_SCORE = "score must be a finite number"
ERR_LABEL = "label must be 0 or 1"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    column: str | None
    message: str
    value: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        got = f" (got {self.value!r})" if self.value is not None else ""
        return f"{', '.join(where)}: {self.message}{got}"


class ScoredListError(ValueError):
    """The scored list cannot be audited; `problems` says where and why."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        shown = [str(p) for p in self.problems[:MAX_LISTED]]
        more = len(self.problems) - len(shown)
        if more:
            shown.append(f"... and {more} more problems")
        super().__init__("\n".join(shown))


@dataclass(frozen=True)
class CsvColumns:
    id: str
    score: str
    label: str
    groups: tuple[str, ...]


def read_scored_csv(
    path: Path, columns: CsvColumns, *, outcome: str = "had the outcome"
) -> tuple[ScoredList, pd.DataFrame]:
    """(scored list, sensitive attributes) from a CSV; raises ScoredListError on bad input."""
    raw = read_text_csv(path)
    check_columns(str(path), raw, columns)
    source = AuditSource("csv", Path(path).name, outcome, (("file", Path(path).name),))
    return scored_from_text(str(path), raw, columns, np.arange(len(raw)) + 2, source)


def scored_from_text(
    name: str, raw: pd.DataFrame, columns: CsvColumns, lines: np.ndarray, source: AuditSource
) -> tuple[ScoredList, pd.DataFrame]:
    """Validate text columns (as read from a file) into a scored list and its sensitive
    attributes; `lines` are the file's line numbers of the rows, for the messages."""
    problems = [
        *_check_ids(name, raw[columns.id], lines, columns.id),
        *_check_numbers(name, raw[columns.score], lines, columns.score, ERR_SCORE),
        *_check_labels(name, raw[columns.label], lines, columns.label),
    ]
    if problems:
        raise ScoredListError(sorted(problems, key=lambda p: (p.line or 0, p.column or "")))
    frame = pd.DataFrame({
        "id": raw[columns.id].str.strip().to_numpy(dtype=object),
        "score": pd.to_numeric(raw[columns.score].str.strip()).to_numpy(dtype=float),
        "label": pd.to_numeric(raw[columns.label].str.strip()).to_numpy().astype(int),
    })
    sensitive = raw[list(columns.groups)].replace("", pd.NA).reset_index(drop=True)
    return ScoredList(frame, source), sensitive


def read_text_csv(path: Path) -> pd.DataFrame:
    """Every cell as text, so validation sees exactly what the file says."""
    name = str(path)
    if not Path(path).is_file():
        raise ScoredListError([Problem(name, None, None, ERR_NO_FILE)])
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise ScoredListError([Problem(name, 1, None, ERR_EMPTY)]) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ScoredListError([Problem(name, None, None, f"not a readable CSV: {exc}")]) from None
    if raw.empty:
        raise ScoredListError([Problem(name, 2, None, ERR_NO_ROWS)])
    return raw


def check_columns(name: str, raw: pd.DataFrame, columns: CsvColumns) -> None:
    roles = [("the id", columns.id), ("the score", columns.score), ("the label", columns.label),
             *(("a group", g) for g in columns.groups)]
    problems, seen = [], {}
    for role, col in roles:
        if col not in raw.columns:
            problems.append(Problem(name, 1, col, ERR_MISSING_COLUMN.format(
                columns=list(raw.columns))))
        if col in seen:
            problems.append(Problem(name, 1, col, ERR_ROLE_TWICE.format(a=seen[col], b=role)))
        seen.setdefault(col, role)
    if problems:
        raise ScoredListError(problems)


def _check_ids(name: str, ids: pd.Series, lines: np.ndarray, col: str) -> list[Problem]:
    ids = ids.str.strip()
    out = [Problem(name, int(lines[i]), col, ERR_BLANK_ID) for i in np.flatnonzero(ids.eq(""))]
    position = pd.Series(np.arange(len(ids)))
    first = position.groupby(ids.to_numpy()).transform("min").to_numpy()
    for i in np.flatnonzero(ids.ne("").to_numpy() & (first != position.to_numpy())):
        out.append(Problem(name, int(lines[i]), col,
                           ERR_DUPLICATE_ID.format(other=int(lines[first[i]])), ids.iloc[i]))
    return out


def _check_numbers(name: str, values: pd.Series, lines: np.ndarray, col: str,
                   message: str) -> list[Problem]:
    numbers = pd.to_numeric(values.str.strip(), errors="coerce")
    bad = ~np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))
    return [Problem(name, int(lines[i]), col, message, values.iloc[i])
            for i in np.flatnonzero(bad)]


def _check_labels(name: str, values: pd.Series, lines: np.ndarray, col: str) -> list[Problem]:
    numbers = pd.to_numeric(values.str.strip(), errors="coerce").to_numpy(dtype=float,
                                                                         na_value=np.nan)
    bad = ~np.isin(numbers, (0.0, 1.0))
    return [Problem(name, int(lines[i]), col, ERR_LABEL, values.iloc[i])
            for i in np.flatnonzero(bad)]


def csv_header(path: Path) -> list[str]:
    """The column names of a CSV (to resolve --intersect names before the full read)."""
    if not Path(path).is_file():
        raise ScoredListError([Problem(str(path), None, None, ERR_NO_FILE)])
    try:
        return list(pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns)
    except pd.errors.EmptyDataError:
        raise ScoredListError([Problem(str(path), 1, None, ERR_EMPTY)]) from None
