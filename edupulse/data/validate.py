"""Check every value of a file against the input layout; split rows into typed rows and rejects.

Pure and vectorised: each column is dictionary-encoded once and every rule (type, range, code,
date that exists, required value, length) is evaluated on its distinct values, then spread back
to the rows through the codes. An attendance file of ten million rows has a few hundred
distinct dates and four statuses, so checking it costs far less than reading it. Cross-field
rules, duplicate natural keys inside the file and references to students that neither this load
nor the database knows are rejected here too, so the database never sees a row it would refuse.

A row is rejected when any of its values is; the rejects frame has one line per problem (file,
line, field, value, reason). Values of sensitive columns (names, contacts) are never copied
into it: the line number is enough to find the record in the export.

Valid rows come out as a frame of pandas Categoricals (codes + distinct typed values): compact,
and cheap to turn into Arrow columns for COPY or Python objects for executemany.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from edupulse.data.load import RawFile
from edupulse.data.profiles import FileSettings
from edupulse.data.schemas import (
    DATE_MAX,
    DATE_MIN,
    INT32_MAX,
    Column,
    DateOrder,
    FileSchema,
    Kind,
    Requires,
)

REJECT_COLUMNS = ["file", "line", "field", "value", "reason"]
REDACTED = "<redacted>"
EMPTY = "required value is empty"
_MAX_LINES_NAMED = 10


@dataclass(frozen=True)
class StudentRefs:
    """Which district_ids child rows may refer to."""

    known: pd.Index  # students already in the database or valid in this load's students file
    rejected_lines: pd.Series  # district_id -> line of its rejected row in the students file
    students_file: str = "students.csv"


@dataclass(frozen=True)
class ValidatedFile:
    schema: FileSchema
    file: str  # the file name as rejects and summaries show it
    rows_read: int
    valid: pd.DataFrame  # layout columns (Categorical) of the rows that passed, plus `line`
    rejects: pd.DataFrame  # REJECT_COLUMNS, one row per problem, ordered by line
    absent_columns: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    # district_id -> first line, of the rejected rows whose district_id itself was readable
    rejected_ids: pd.Series = dataclasses.field(default_factory=lambda: pd.Series(dtype="int64"))

    @property
    def rejected_rows(self) -> int:
        return self.rows_read - len(self.valid)


@dataclass(frozen=True)
class _Checked:
    """One column after checking: canonical codes per row (-1: empty or invalid)."""

    codes: np.ndarray
    categories: pd.Index  # distinct canonical values: str (text, ISO dates), int or float
    empty: np.ndarray  # bool per row: no value
    bad_rows: np.ndarray  # row positions with a problem
    bad_reasons: np.ndarray  # reason per bad row
    raw: pa.Array  # the values as read, for the rejects file
    order: np.ndarray | None = None  # dates: datetime64 per row, for cross-field rules


def _encode(raw: pa.Array) -> tuple[np.ndarray, pd.Series]:
    enc = pc.dictionary_encode(raw)
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, pd.Series(enc.dictionary.to_pandas(), dtype="str")


def _apply_code_map(uniques: pd.Series, mapping: dict[str, str] | None) -> pd.Series:
    if not mapping:
        return uniques
    hit = uniques.isin(list(mapping))
    out = uniques.where(~hit, uniques.map(mapping)).str.strip()
    return out.where(out != "", None)


def _text_reasons(col: Column, u: pd.Series) -> np.ndarray:
    reason = np.full(len(u), None, dtype=object)
    present = u.notna().to_numpy()
    if col.pattern is not None:
        ok = u.str.fullmatch(col.pattern).fillna(False).to_numpy(dtype=bool)
        reason[present & ~ok] = "not a letter grade (A-F, optionally + or -)"
    if col.codes is not None:
        reason[present & ~u.isin(col.codes).to_numpy()] = f"not one of {', '.join(col.codes)}"
    if col.max_length is not None:
        too_long = u.str.len().fillna(0).to_numpy() > col.max_length
        reason[present & too_long] = f"longer than {col.max_length} characters"
    return reason


def _number_reasons(col: Column, u: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    num = pd.to_numeric(u, errors="coerce").astype("float64").to_numpy()
    reason = np.full(len(u), None, dtype=object)
    present = u.notna().to_numpy()
    low = col.minimum if col.minimum is not None else -INT32_MAX - 1
    high = col.maximum if col.maximum is not None else INT32_MAX
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(num)
        whole = finite & (num == np.round(num))
        outside = finite & ((num < low) | (num > high))
    reason[present & outside] = f"out of range {_show(low)} to {_show(high)}"
    if col.kind is Kind.INTEGER:
        reason[present & ~whole] = "not a whole number"
    else:
        reason[present & ~finite] = "not a number"
    return num, reason


def _show(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _date_reasons(u: pd.Series, fmt: str) -> tuple[pd.Series, np.ndarray]:
    parsed = pd.to_datetime(u, format=fmt, errors="coerce")
    reason = np.full(len(u), None, dtype=object)
    present = u.notna().to_numpy()
    invalid = present & parsed.isna().to_numpy()
    outside = ((parsed < pd.Timestamp(DATE_MIN)) | (parsed > pd.Timestamp(DATE_MAX))).to_numpy()
    reason[present & outside] = f"date outside {DATE_MIN} to {DATE_MAX}"
    reason[invalid] = f"not a valid date in the format {fmt}"
    return parsed, reason


def check_column(col: Column, raw: pa.Array, settings: FileSettings) -> _Checked:
    """Check one column's values; everything is computed once per distinct value."""
    codes, uniques = _encode(raw)
    mapped = _apply_code_map(uniques, settings.code_maps.get(col.name))
    order_u = None
    if col.kind is Kind.TEXT:
        reason_u = _text_reasons(col, mapped)
        canon_u: pd.Series = mapped
    elif col.kind is Kind.DATE:
        parsed, reason_u = _date_reasons(mapped, settings.date_formats[col.name])
        canon_u = parsed.dt.strftime("%Y-%m-%d")
        order_u = parsed.to_numpy(dtype="datetime64[s]")
    else:
        num, reason_u = _number_reasons(col, mapped)
        usable = mapped.notna().to_numpy() & (reason_u == None)  # noqa: E711
        num = np.where(usable, num, 0)
        canon_u = pd.Series(num.astype(np.int64) if col.kind is Kind.INTEGER else num)
        canon_u = canon_u.where(usable)
    null_u = mapped.isna().to_numpy()
    ok_u = ~null_u & (reason_u == None)  # noqa: E711
    canon_codes_u, categories = pd.factorize(canon_u.where(ok_u), use_na_sentinel=True)
    if col.kind is Kind.INTEGER:
        categories = categories.astype(np.int64)
    has = codes >= 0
    row_codes = np.full(len(codes), -1, dtype=np.int64)
    row_codes[has] = canon_codes_u[codes[has]]
    empty = ~has
    empty[has] = null_u[codes[has]]
    bad_u = ~null_u & ~ok_u
    bad = np.zeros(len(codes), dtype=bool)
    bad[has] = bad_u[codes[has]]
    bad_rows = np.flatnonzero(bad | (empty if col.required else False))
    bad_reasons = np.full(len(bad_rows), EMPTY, dtype=object)
    from_value = bad[bad_rows]
    bad_reasons[from_value] = reason_u[codes[bad_rows[from_value]]]
    order = None
    if order_u is not None:
        order = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[s]")
        good = row_codes >= 0
        order[good] = order_u[codes[good]]
    return _Checked(row_codes, pd.Index(categories), empty, bad_rows, bad_reasons, raw, order)


def _problem_frame(file: str, lines: np.ndarray, rows: np.ndarray, field: str,
                   values: object, reasons: object) -> pd.DataFrame:
    return pd.DataFrame({"row": rows, "file": file, "line": lines[rows], "field": field,
                         "value": values, "reason": reasons})


def _values_at(checked: _Checked, rows: np.ndarray, sensitive: bool) -> object:
    if sensitive:
        return REDACTED
    return checked.raw.take(pa.array(rows)).to_pandas().to_numpy(dtype=object)


def validate(
    raw: RawFile, schema: FileSchema, settings: FileSettings, refs: StudentRefs | None = None
) -> ValidatedFile:
    """Typed valid rows and rejects of one file; `refs` is needed for every file but students."""
    file, n, lines = raw.path.name, raw.rows, raw.lines
    nulls = pa.nulls(n, pa.string())
    checked: dict[str, _Checked] = {}
    problems: list[pd.DataFrame] = []
    for col in schema.columns:
        source = (raw.table.column(col.name).combine_chunks()
                  if col.name in raw.table.column_names else nulls)
        c = checked[col.name] = check_column(col, source, settings)
        if len(c.bad_rows):
            problems.append(_problem_frame(file, lines, c.bad_rows, col.name,
                                           _values_at(c, c.bad_rows, col.sensitive),
                                           c.bad_reasons))
    for rule in schema.rules:
        problems.extend(_rule_problems(rule, schema, checked, lines, file))
    ok = np.ones(n, dtype=bool)
    for df in problems:
        ok[df["row"].to_numpy()] = False
    key_ok = np.ones(n, dtype=bool)
    for k in schema.key:
        key_ok[checked[k].bad_rows] = False
    for extra in (_duplicates(schema, checked, key_ok, lines, file),
                  _references(checked["district_id"], ok, lines, file, refs)):
        if extra is not None:
            problems.append(extra)
            ok[extra["row"].to_numpy()] = False
    valid = pd.DataFrame({
        name: pd.Categorical.from_codes(c.codes[ok], categories=c.categories)
        .remove_unused_categories() for name, c in checked.items()
    })
    valid["line"] = lines[ok]
    ids = checked["district_id"]
    gone = np.flatnonzero(~ok & (ids.codes >= 0))
    rejected_ids = pd.Series(lines[gone], index=ids.categories[ids.codes[gone]], dtype="int64")
    rejected_ids = rejected_ids[~rejected_ids.index.duplicated()]
    rejects = (pd.concat(problems, ignore_index=True) if problems
               else pd.DataFrame(columns=["row", *REJECT_COLUMNS]))
    rejects = rejects.sort_values(["line", "field"], kind="stable").reset_index(drop=True)
    return ValidatedFile(schema, file, n, valid, rejects[REJECT_COLUMNS],
                         raw.absent_columns, raw.ignored_columns, rejected_ids)


def _rule_problems(rule: DateOrder | Requires, schema: FileSchema,
                   checked: dict[str, _Checked], lines: np.ndarray,
                   file: str) -> list[pd.DataFrame]:
    if isinstance(rule, DateOrder):
        a, b = checked[rule.earlier].order, checked[rule.later].order
        assert a is not None and b is not None
        with np.errstate(invalid="ignore"):
            wrong = (b <= a) if rule.strict else (b < a)  # NaT compares False
        word = "on or before" if rule.strict else "before"
        field, reason = rule.later, f"{rule.later} is {word} {rule.earlier}"
    else:
        other = checked[rule.other]
        lacks = other.empty.copy()
        lacks[other.bad_rows] = False  # already reported as a bad value
        wrong = ~checked[rule.column].empty & lacks
        field, reason = rule.other, f"{rule.other} is required when {rule.column} is given"
    rows = np.flatnonzero(wrong)
    if not len(rows):
        return []
    values = _values_at(checked[field], rows, schema.column(field).sensitive)
    return [_problem_frame(file, lines, rows, field, values, reason)]


def _duplicates(schema: FileSchema, checked: dict[str, _Checked], key_ok: np.ndarray,
                lines: np.ndarray, file: str) -> pd.DataFrame | None:
    """Rows whose natural key repeats in the file: all of them are rejected, each naming the
    lines of the others. Empty key parts compare equal, as the database's COALESCE does."""
    keys = pd.DataFrame({k: checked[k].codes for k in schema.key})
    dup = keys.duplicated(keep=False).to_numpy() & key_ok
    if not dup.any():
        return None
    rows = np.flatnonzero(dup)
    sub = keys.iloc[rows].reset_index(drop=True)
    sub["line"] = lines[rows]
    named = sub.groupby(list(schema.key), sort=False)["line"].transform(_name_lines)
    shown = pd.DataFrame({
        k: pd.Series(pd.Categorical.from_codes(checked[k].codes[rows], checked[k].categories))
        .astype("str").fillna("") for k in schema.key
    }).agg(" | ".join, axis=1)
    reason = f"duplicate natural key ({', '.join(schema.key)}): same key on lines " + named
    return _problem_frame(file, lines, rows, "+".join(schema.key), shown.to_numpy(),
                          reason.to_numpy())


def _name_lines(lines: pd.Series) -> str:
    shown = ", ".join(str(x) for x in lines.iloc[:_MAX_LINES_NAMED])
    more = len(lines) - _MAX_LINES_NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def _references(ids: _Checked, ok: np.ndarray, lines: np.ndarray, file: str,
                refs: StudentRefs | None) -> pd.DataFrame | None:
    """Child rows whose student is neither valid in this load nor in the database."""
    if refs is None:
        return None
    unknown_cat = ~ids.categories.isin(refs.known)
    unknown = np.zeros(len(ids.codes), dtype=bool)
    has = ids.codes >= 0
    unknown[has] = unknown_cat[ids.codes[has]]
    rows = np.flatnonzero(unknown & ok)
    if not len(rows):
        return None
    bad_ids = pd.Series(ids.categories[ids.codes[rows]])
    rejected_line = bad_ids.map(refs.rejected_lines)
    reason = pd.Series(f"no such student: not in {refs.students_file} nor in the database",
                       index=bad_ids.index, dtype=object)
    was = rejected_line.notna()
    reason[was] = (f"student not loaded: its row in {refs.students_file} was rejected (line "
                   + rejected_line[was].astype("int64").astype("str") + ")")
    return _problem_frame(file, lines, rows, "district_id", bad_ids.to_numpy(dtype=object),
                          reason.to_numpy())
