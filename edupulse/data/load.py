"""Read one input file into string columns with the line number of every record; no database.

Reading is the step that can fail for the whole file: no header, a missing required column,
bytes that are not in the declared encoding, a record with the wrong number of fields. Each of
those stops the file with one FileError naming the file, the line and the column, so nothing of
a file that cannot be read correctly is loaded. Everything that is wrong with a single value is
left to edupulse.data.validate, which rejects just that row.

pyarrow's CSV reader does the parsing (multi-threaded, streaming, gzip and any Python codec);
the slow Python `csv` module only runs on the error path, to find the line to report.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from edupulse.data.profiles import FileSettings
from edupulse.data.schemas import FileSchema

# (task label, units done so far, total units): how long work reports progress.
ProgressFn = Callable[[str, int, int], None]

BLOCK_SIZE = 1 << 22  # bytes per pyarrow block: large enough to keep both cores busy
_GZIP_MAGIC = b"\x1f\x8b"


class FileError(Exception):
    """A file that cannot be loaded at all; the message names the file, line and column."""


@dataclass(frozen=True)
class RawFile:
    """One file's records as strings under layout column names (null = empty value)."""

    path: Path
    table: pa.Table  # one string column per layout column present in the header
    lines: np.ndarray  # physical line number of each record (the header is line 1)
    absent_columns: tuple[str, ...]  # optional layout columns the header lacks
    ignored_columns: tuple[str, ...]  # header columns that are not in the layout

    @property
    def rows(self) -> int:
        return self.table.num_rows


def find_file(directory: Path, name: str, settings: FileSettings) -> Path | None:
    """`<name>.csv` or `<name>.csv.gz` in `directory` (or the profile's file name)."""
    candidates = [settings.file] if settings.file else [f"{name}.csv", f"{name}.csv.gz"]
    for candidate in candidates:
        path = directory / candidate
        if path.is_file():
            return path
    return None


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in {"utf-8", "utf-8-sig"}


class _CountingReader(io.RawIOBase):
    """Counts the bytes read from disk, so progress is known for compressed files too."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self.position += n or 0
        return n  # type: ignore[no-any-return]


def _open_bytes(path: Path) -> tuple[IO[bytes], _CountingReader]:
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller through the returned stream
    counter = _CountingReader(raw)
    buffered = io.BufferedReader(counter, buffer_size=1 << 20)
    if buffered.peek(2)[:2] == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=buffered, mode="rb"), counter  # type: ignore[return-value]
    return buffered, counter


def _decoder(encoding: str) -> codecs.IncrementalDecoder:
    return codecs.getincrementaldecoder("utf-8-sig" if _is_utf8(encoding) else encoding)()


def _encoding_error(path: Path, encoding: str) -> FileError:
    """Find the first byte that is not `encoding` and say on which line it is."""
    decoder = _decoder(encoding)
    offset = newlines = 0
    with _open_bytes(path)[0] as stream:
        while chunk := stream.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line = newlines + chunk.count(b"\n", 0, exc.start) + 1
                byte = chunk[exc.start : exc.start + 1].hex()
                return FileError(
                    f"{path.name} line {line}: byte 0x{byte} at offset {offset + exc.start} is "
                    f"not valid {encoding}; set `encoding` for this file in a profile "
                    f"(e.g. cp1252 or latin-1)"
                )
            offset += len(chunk)
            newlines += chunk.count(b"\n")
    return FileError(f"{path.name}: cannot be decoded as {encoding}")


def _text_lines(path: Path, encoding: str) -> IO[str]:
    stream = _open_bytes(path)[0]
    codec = "utf-8-sig" if _is_utf8(encoding) else encoding
    return io.TextIOWrapper(stream, encoding=codec, newline="")  # type: ignore[arg-type]


def _structure_error(path: Path, settings: FileSettings, detail: str) -> FileError:
    """Re-read with the csv module to find the first malformed record and its line."""
    width = None
    with _text_lines(path, settings.encoding) as text:
        reader = csv.reader(text, delimiter=settings.delimiter, strict=True)
        start = 1
        try:
            for record in reader:
                if width is None:
                    width = len(record)
                elif record and len(record) != width:
                    return FileError(
                        f"{path.name} line {start}: {len(record)} fields where the header has "
                        f"{width}; check the delimiter ({settings.delimiter!r}) and the quoting"
                    )
                start = reader.line_num + 1
        except csv.Error as exc:
            return FileError(f"{path.name} line {start}: malformed CSV record ({exc})")
    return FileError(f"{path.name}: malformed CSV ({detail})")


def _map_header(
    path: Path, header: list[str], schema: FileSchema, settings: FileSettings
) -> tuple[dict[str, str], tuple[str, ...], tuple[str, ...]]:
    """{export column -> layout column}, absent optional columns, ignored export columns."""
    layout = set(schema.column_names)
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    renamed_to = set(settings.renames.values())
    for name in header:
        target = settings.renames.get(name, name)
        # A column the profile maps another export column onto gives way to that column.
        shadowed = name not in settings.renames and name in renamed_to
        if target not in layout or shadowed:
            ignored.append(name)
            continue
        if target in mapping.values():
            raise FileError(f"{path.name} line 1: column {target!r} appears twice in the header")
        mapping[name] = target
    present = set(mapping.values())
    missing = [c for c in schema.required_columns if c not in present]
    if missing:
        hint = ", ".join(header) if header else "nothing"
        raise FileError(
            f"{path.name}: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (the header has: {hint})"
        )
    absent = tuple(c for c in schema.column_names if c not in present)
    return mapping, absent, tuple(ignored)


def read_file(
    path: Path, schema: FileSchema, settings: FileSettings, progress: ProgressFn | None = None
) -> RawFile:
    """Parse `path` into string columns; raise FileError when the file cannot be read whole."""
    raw_header = _raw_header(path, settings)
    header = [h.strip() for h in raw_header]
    mapping, absent, ignored = _map_header(path, header, schema, settings)
    # Every column is parsed (the last one matters to _check_last_record); only the layout's
    # columns are kept.
    keep = [i for i, name in enumerate(header) if name in mapping]
    options = dict(
        read_options=pacsv.ReadOptions(
            block_size=BLOCK_SIZE,
            encoding="utf8" if _is_utf8(settings.encoding) else settings.encoding,
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=settings.delimiter, newlines_in_values=True, ignore_empty_lines=False
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in raw_header},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    total = path.stat().st_size
    label = f"reading {path.name}"
    batches: list[pa.RecordBatch] = []
    stream, counter = _open_bytes(path)
    try:
        with stream, pacsv.open_csv(stream, **options) as reader:  # type: ignore[arg-type]
            for batch in reader:
                batches.append(batch)
                if progress:
                    progress(label, counter.position, total)
    except UnicodeDecodeError:
        raise _encoding_error(path, settings.encoding) from None
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc):
            raise _encoding_error(path, settings.encoding) from None
        raise _structure_error(path, settings, str(exc)) from None
    except (OSError, EOFError) as exc:
        raise FileError(f"{path.name}: cannot be read ({exc})") from None
    if progress:
        progress(label, total, total)
    if batches:
        table = pa.Table.from_batches(batches, schema=batches[0].schema)
    else:
        table = pa.table([pa.array([], pa.string())] * len(raw_header),
                         names=[f"c{i}" for i in range(len(raw_header))])
    lines = _line_numbers(table)
    _check_last_record(path, settings, table)
    table = pa.table([table.column(i) for i in keep], names=[mapping[header[i]] for i in keep])
    table, lines = _clean(table, lines)
    return RawFile(path, table, lines, absent, ignored)


def _raw_header(path: Path, settings: FileSettings) -> list[str]:
    """The header as pyarrow will name the columns (unstripped)."""
    try:
        with _text_lines(path, settings.encoding) as text:
            head = text.read(1 << 16)
            while head and "\n" not in head and (more := text.read(1 << 16)):
                head += more
    except UnicodeDecodeError:
        raise _encoding_error(path, settings.encoding) from None
    except (OSError, EOFError) as exc:
        raise FileError(f"{path.name}: cannot be read ({exc})") from None
    if not head.strip():
        raise FileError(f"{path.name}: the file is empty (expected a header row)")
    try:
        return next(csv.reader(io.StringIO(head), delimiter=settings.delimiter))
    except csv.Error as exc:
        raise FileError(f"{path.name} line 1: malformed header ({exc})") from None


def _line_numbers(table: pa.Table) -> np.ndarray:
    """Line of each record: 2 + its index + newlines inside quoted values of earlier records."""
    lines = np.arange(2, table.num_rows + 2, dtype=np.int64)
    extra = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        if pc.any(pc.match_substring(column, "\n")).as_py():
            extra += pc.fill_null(pc.count_substring(column, "\n"), 0).to_numpy()
    if extra.any():
        lines += np.concatenate(([0], np.cumsum(extra)[:-1]))
    return lines


def _check_last_record(path: Path, settings: FileSettings, table: pa.Table) -> None:
    """pyarrow accepts a quote left open at the end of the file by swallowing the rest of the
    file into one value; the csv module in strict mode does not, so ask it when it matters."""
    if table.num_rows == 0 or table.num_columns == 0:
        return
    last = table.column(table.num_columns - 1)[table.num_rows - 1].as_py()
    if last is not None and "\n" in last:
        with _text_lines(path, settings.encoding) as text:
            reader = csv.reader(text, delimiter=settings.delimiter, strict=True)
            start = 1
            try:
                for _ in reader:
                    start = reader.line_num + 1
            except csv.Error as exc:
                raise FileError(
                    f"{path.name} line {start}: malformed CSV record ({exc}); is a quote "
                    f"left open?"
                ) from None


def _clean(table: pa.Table, lines: np.ndarray) -> tuple[pa.Table, np.ndarray]:
    """Trim spaces around values, make empty values null, drop blank records."""
    columns = []
    for column in table.columns:
        trimmed = pc.utf8_trim_whitespace(column)
        columns.append(pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed))
    table = pa.table(dict(zip(table.column_names, columns, strict=True)))
    if table.num_columns:
        blank = np.logical_and.reduce([c.is_null().to_numpy(zero_copy_only=False)
                                       for c in table.columns])
        if blank.any():
            keep = ~blank
            table, lines = table.filter(pa.array(keep)), lines[keep]
    return table, lines
