"""Write validated files to the source tables: staging table, then one set-based upsert.

Every row goes first into a temporary staging table (PostgreSQL: COPY; SQLite: executemany in
large chunks), then one INSERT ... SELECT ... ON CONFLICT per table moves it into place. The
natural-key unique indexes of migration 0002 are the conflict targets, and DO UPDATE only fires
when a value differs, so a re-load of the same export changes nothing (students.updated_at stays
put) while a changed value is updated. All of it runs inside the caller's transaction: see
edupulse.data.pipeline.

district_id -> student UUID: on PostgreSQL a hash join of the staging table with students; on
SQLite one query for the whole map, applied to the distinct district_ids in pandas.

New / updated / unchanged counts: PostgreSQL returns them from the upsert itself (xmax = 0 marks
an inserted row). SQLite counts, per student, the staged rows that match an existing row and
those of them that differ, in one join before the upsert; the same figures feed the audit log
(edupulse.privacy.audit_log.record_changes), which PostgreSQL's statement triggers write alone.
"""

from __future__ import annotations

import io
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa

from edupulse.data.load import ProgressFn
from edupulse.data.schemas import SCHEMAS, STUDENTS, FileSchema, Kind
from edupulse.data.validate import ValidatedFile
from edupulse.privacy.audit_log import record_changes

CHUNK_ROWS = 250_000  # rows per COPY / executemany call: bounded memory, steady progress

# Columns compared to decide whether a conflicting row changed (the natural key aside).
UPDATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "students": ("first_name", "last_name", "grade_level", "date_of_birth", "gender",
                 "ethnicity", "socioeconomic_status", "gpa", "attendance_rate",
                 "parent_contact", "enrollment_date"),
    "attendance": ("status",),
    "grades": ("course_name", "grade_value", "grade_letter"),
    "discipline": ("severity_level", "description", "resolution"),
}
# The natural key of each table, as its unique index (migration 0002) spells it: the conflict
# target of the upsert.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "students": ("district_id",),
    "attendance": ("student_id", "date", "coalesce(period, -1)"),
    "grades": ("student_id", "course_id", "submission_date", "coalesce(assignment_type, '')"),
    "discipline": ("student_id", "incident_date", "coalesce(incident_type, '')"),
}
_PG_TYPES = {Kind.TEXT: "text", Kind.INTEGER: "integer", Kind.REAL: "real", Kind.DATE: "date"}
_SQLITE_TYPES = {Kind.TEXT: "TEXT", Kind.INTEGER: "INTEGER", Kind.REAL: "REAL",
                 Kind.DATE: "TEXT"}


@dataclass(frozen=True)
class WriteCounts:
    new: int
    updated: int
    unchanged: int


def is_postgres(conn: sa.Connection) -> bool:
    return conn.dialect.name == "postgresql"


def begin_load(conn: sa.Connection) -> None:
    """Serialise loads: no other writer may touch the source tables until this one commits,
    so reference checks and conflict handling see a stable database. Readers are not blocked."""
    if is_postgres(conn):
        tables = ", ".join(s.table for s in SCHEMAS.values())
        conn.exec_driver_sql(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        if (conn.dialect.server_version_info or (0,)) >= (14,):
            # A killed loader's statement stops within a second instead of running on,
            # holding the lock, until it next talks to the client.
            conn.exec_driver_sql("SET LOCAL client_connection_check_interval = 1000")
    else:
        conn.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MB for index pages
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def known_students(conn: sa.Connection) -> pd.Index:
    """Every district_id already in the database, in one query."""
    ids = conn.exec_driver_sql("SELECT district_id FROM students").scalars().all()
    return pd.Index(ids, dtype="str")


def _stage_name(schema: FileSchema) -> str:
    return f"edupulse_stage_{schema.name}"


def _stage_columns(schema: FileSchema, pg: bool) -> tuple[str, ...]:
    """Staged columns: the file's, except that SQLite child stages hold the resolved
    student_id in place of district_id."""
    if pg or schema is STUDENTS:
        return schema.column_names
    return ("student_id", *schema.table_columns)


def _create_stage(conn: sa.Connection, schema: FileSchema) -> str:
    name = _stage_name(schema)
    pg = is_postgres(conn)
    types = _PG_TYPES if pg else _SQLITE_TYPES
    kinds = {c.name: ("text" if c.name in schema.metadata else types[c.kind])
             for c in schema.columns}
    kinds["student_id"] = "TEXT"
    cols = ", ".join(f"{c} {kinds[c]}" for c in _stage_columns(schema, pg))
    if is_postgres(conn):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{name}")
        conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({cols}) ON COMMIT DROP")
    else:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")
        conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({cols})")
    return name


def _arrow_chunk(frame: pd.DataFrame, columns: tuple[str, ...]) -> pa.Table:
    arrays = []
    for c in columns:
        arr = pa.array(frame[c])
        arrays.append(arr.dictionary_decode() if pa.types.is_dictionary(arr.type) else arr)
    return pa.Table.from_arrays(arrays, names=list(columns))


def _object_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[np.ndarray]:
    """Python objects per column, built once per distinct value and spread by the codes."""
    out = []
    for c in columns:
        cat = frame[c].cat
        values = np.append(cat.categories.to_numpy(dtype=object), None)
        out.append(values[cat.codes.to_numpy()])  # code -1 picks the trailing None
    return out


def student_ids(conn: sa.Connection, district_ids: pd.Categorical) -> pd.Categorical:
    """The student UUIDs (as SQLite stores them) of `district_ids`, from one query."""
    pairs = conn.exec_driver_sql("SELECT district_id, id FROM students").all()
    lookup = pd.Series([p[1] for p in pairs], index=pd.Index([p[0] for p in pairs], dtype="str"),
                       dtype=object)
    ids = pd.Series(district_ids.categories).map(lookup)
    if ids.isna().any():  # validation guarantees every student exists; never load a row blind
        missing = ", ".join(district_ids.categories[ids.isna().to_numpy()][:5])
        raise RuntimeError(f"students missing from the database after validation: {missing}")
    return pd.Categorical.from_codes(district_ids.codes, categories=pd.Index(ids.to_numpy()))


def _fill_stage(conn: sa.Connection, schema: FileSchema, valid: pd.DataFrame, name: str,
                progress: ProgressFn | None) -> None:
    pg = is_postgres(conn)
    columns = _stage_columns(schema, pg)
    total = len(valid)
    label = f"staging {schema.name}"
    if pg:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        sql = f"COPY {name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        for start in range(0, total, CHUNK_ROWS):
            buffer = io.BytesIO()
            pacsv.write_csv(_arrow_chunk(valid.iloc[start:start + CHUNK_ROWS], columns), buffer,
                            options)
            buffer.seek(0)
            cursor.copy_expert(sql, buffer)
            if progress:
                progress(label, min(start + CHUNK_ROWS, total), total)
        cursor.execute(f"ANALYZE {name}")
        cursor.close()
    else:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        sql = f"INSERT INTO temp.{name} VALUES ({', '.join('?' * len(columns))})"
        for start in range(0, total, CHUNK_ROWS):
            chunk = _object_columns(valid.iloc[start:start + CHUNK_ROWS], columns)
            cursor.executemany(sql, zip(*chunk, strict=True))
            if progress:
                progress(label, min(start + CHUNK_ROWS, total), total)
        cursor.close()


def _distinct(pg: bool, a: str, b: str) -> str:
    return f"{a} IS DISTINCT FROM {b}" if pg else f"{a} IS NOT {b}"


def _metadata_sql(pg: bool, stage: str) -> tuple[str, str, str]:
    """(new metadata from a staged row, merged metadata of an updated row, changed test).
    The loader owns four keys of student_metadata; keys written by anyone else are kept, and
    a key whose value is now empty is removed."""
    keys = STUDENTS.metadata
    if pg:
        pairs = ", ".join(f"'{k}', st.{k}" for k in keys)
        new = f"jsonb_strip_nulls(jsonb_build_object({pairs}))"
        drop = " - ".join(["coalesce(students.student_metadata, '{}'::jsonb)",
                           *(f"'{k}'" for k in keys)])
        merged = f"(({drop}) || EXCLUDED.student_metadata)"
        return new, merged, _distinct(pg, "students.student_metadata", merged)
    pairs = ", ".join(f"'{k}', st.{k}" for k in keys)
    new = f"json_patch('{{}}', json_object({pairs}))"
    paths = ", ".join(f"'$.{k}'" for k in keys)
    merged = (f"json_patch(json_remove(coalesce(students.student_metadata, '{{}}'), {paths}), "
              f"excluded.student_metadata)")
    changed = _distinct(pg, "json(students.student_metadata)", f"json({merged})")
    return new, merged, changed


def upsert_sql(schema: FileSchema, stage: str, pg: bool) -> str:
    """The one set-based INSERT ... SELECT ... ON CONFLICT that moves staged rows into place."""
    excluded = "EXCLUDED" if pg else "excluded"
    update = UPDATE_COLUMNS[schema.name]
    source = f"{stage} st" if pg else f"temp.{stage} st"
    if schema is STUDENTS:
        new_meta, merged_meta, meta_changed = _metadata_sql(pg, stage)
        cols = [*update, "student_metadata"]
        insert_cols = ["district_id", *cols]
        select = ", ".join([*(f"st.{c}" for c in ["district_id", *update]), new_meta])
        source_sql = f"FROM {source}"
        sets = [f"{c} = {excluded}.{c}" for c in update]
        sets.append(f"student_metadata = {merged_meta}")
        changed = [_distinct(pg, f"students.{c}", f"{excluded}.{c}") for c in update]
        changed.append(meta_changed)
    else:
        table_cols = schema.table_columns
        insert_cols = ["student_id", *table_cols]
        if pg:
            select = ", ".join(["s.id", *(f"st.{c}" for c in table_cols)])
            source_sql = f"FROM {source} JOIN students s ON s.district_id = st.district_id"
        else:
            select = ", ".join(f"st.{c}" for c in insert_cols)
            source_sql = f"FROM {source}"
        sets = [f"{c} = {excluded}.{c}" for c in update]
        changed = [_distinct(pg, f"{schema.table}.{c}", f"{excluded}.{c}") for c in update]
    sql = (
        f"INSERT INTO {schema.table} ({', '.join(insert_cols)}) SELECT {select} {source_sql}"
        f"{'' if pg else ' WHERE true'}"
        f" ON CONFLICT {_conflict_target(schema, pg)}"
        f" DO UPDATE SET {', '.join(sets)} WHERE {' OR '.join(changed)}"
    )
    if pg:
        sql = (f"WITH up AS ({sql} RETURNING (xmax = 0) AS inserted) "
               f"SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) "
               f"FROM up")
    return sql


def _conflict_target(schema: FileSchema, pg: bool) -> str:
    # PostgreSQL wants index expressions in parentheses; SQLite takes them bare.
    parts = [f"({e})" if pg and "(" in e else e for e in NATURAL_KEYS[schema.name]]
    return f"({', '.join(parts)})"


def _sqlite_match_sql(schema: FileSchema, stage: str) -> str:
    """Per student: staged rows matching an existing row, and per column whether any differs."""
    on = " AND ".join(
        f"t.{e} = st.{e}" if "(" not in e else
        e.replace("coalesce(", "coalesce(t.", 1) + " = " + e.replace("coalesce(", "coalesce(st.", 1)
        for e in NATURAL_KEYS[schema.name]
    )
    update = UPDATE_COLUMNS[schema.name]
    changed = " OR ".join(f"t.{c} IS NOT st.{c}" for c in update)
    flags = ", ".join(f"max(t.{c} IS NOT st.{c})" for c in update)
    return (f"SELECT st.student_id, count(*), sum({changed}), {flags} "
            f"FROM temp.{stage} st JOIN {schema.table} t ON {on} GROUP BY st.student_id")


def _sqlite_counts(conn: sa.Connection, schema: FileSchema, valid: pd.DataFrame,
                   stage: str) -> tuple[WriteCounts, dict[str, Counter[uuid.UUID]]]:
    """Counts of the coming upsert, and the audit entries it needs (per operation / columns)."""
    sids = valid["student_id"].array
    per_code = np.bincount(sids.codes, minlength=len(sids.categories))
    staged = Counter(dict(zip(sids.categories, per_code.tolist(), strict=True)))
    update = UPDATE_COLUMNS[schema.name]
    audit: dict[str, Counter[uuid.UUID]] = {}
    matched_total = changed_total = 0
    new = Counter(staged)
    for sid, matched, changed, *flags in conn.exec_driver_sql(_sqlite_match_sql(schema, stage)):
        new[sid] -= matched
        matched_total += matched
        changed_total += changed or 0
        if changed:
            cols = ",".join(c for c, f in zip(update, flags, strict=True) if f)
            audit.setdefault(cols, Counter())[uuid.UUID(hex=sid)] = changed
    audit["INSERT"] = Counter({uuid.UUID(hex=sid): n for sid, n in new.items() if n > 0})
    total = len(valid)
    return WriteCounts(total - matched_total, changed_total, matched_total - changed_total), audit


def _record_audit(conn: sa.Connection, schema: FileSchema,
                  audit: dict[str, Counter[uuid.UUID]]) -> None:
    for key, counts in audit.items():
        if not counts:
            continue
        if key == "INSERT":
            record_changes(conn, schema.table, "INSERT", counts)
        else:
            record_changes(conn, schema.table, "UPDATE", counts, key.split(","))


def write_file(conn: sa.Connection, validated: ValidatedFile,
               progress: ProgressFn | None = None,
               log: Callable[[str], None] | None = None) -> WriteCounts:
    """Stage and upsert the valid rows of one file; inside the caller's transaction."""
    schema, valid = validated.schema, validated.valid
    if valid.empty:
        return WriteCounts(0, 0, 0)
    say = log or (lambda _msg: None)
    pg = is_postgres(conn)
    if not pg and schema is not STUDENTS:
        valid = valid.assign(student_id=student_ids(conn, valid["district_id"].array))
    stage = _create_stage(conn, schema)
    say(f"{validated.file}: staging {len(valid):,} rows")
    _fill_stage(conn, schema, valid, stage, progress)
    sql = upsert_sql(schema, stage, pg)
    say(f"{validated.file}: merging into {schema.table}")
    if progress:  # one statement: the bar shows the time it takes
        progress(f"merging into {schema.table}", 0, 1)
    if pg:
        new, updated = conn.exec_driver_sql(sql).one()
        counts = WriteCounts(int(new), int(updated), len(valid) - int(new) - int(updated))
    elif schema is STUDENTS:  # row triggers audit students; count the table around the upsert
        count = "SELECT count(*) FROM students"
        before = conn.exec_driver_sql(count).scalar_one()
        changed = conn.exec_driver_sql(sql).rowcount
        new = conn.exec_driver_sql(count).scalar_one() - before
        counts = WriteCounts(new, changed - new, len(valid) - changed)
    else:
        counts, audit = _sqlite_counts(conn, schema, valid, stage)
        changed = conn.exec_driver_sql(sql).rowcount
        if changed != counts.new + counts.updated:  # cannot happen under the load's lock
            raise RuntimeError(f"{schema.table}: {changed} rows written, expected "
                               f"{counts.new + counts.updated}")
        _record_audit(conn, schema, audit)
    if not pg:
        conn.exec_driver_sql(f"DROP TABLE temp.{stage}")
    if progress:
        progress(f"merging into {schema.table}", 1, 1)
    return counts
