"""Writing a synthetic district as the EduPulse input layout (CSV, optionally gzip).

Files are UTF-8 with LF line ends, a header row, ISO dates and empty fields for missing values.
The large, code-only tables (attendance, grades, ground truth) go through pyarrow's CSV writer in
blocks (fast, bounded memory); the tables with free text go through pandas, which quotes a field
only when it needs it. With gzip the header has mtime 0 and no file name, so the same data give
the same bytes.
"""

from __future__ import annotations

import contextlib
import gzip as gz
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

BLOCK_ROWS = 1_000_000
GZIP_LEVEL = 6


@contextlib.contextmanager
def _sink(path: Path, gzip: bool) -> Iterator[IO[bytes]]:
    with open(path, "wb") as raw:
        if not gzip:
            yield raw
            return
        with gz.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                         compresslevel=GZIP_LEVEL) as zipped:
            yield zipped


def _arrow(block: pd.DataFrame) -> pa.Table:
    cols = {}
    for name, s in block.items():
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes = pa.array(s.cat.codes.to_numpy(), mask=(s.cat.codes < 0).to_numpy())
            labels = pa.array(s.cat.categories.to_numpy(dtype=object), type=pa.string())
            arr = pa.DictionaryArray.from_arrays(codes, labels).dictionary_decode()
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            arr = pa.array(s.to_numpy(), type=pa.timestamp("s")).cast(pa.date32())
        else:
            arr = pa.array(s, from_pandas=True)
        cols[name] = arr
    return pa.table(cols)


def write_arrow(frame: pd.DataFrame, path: Path, gzip: bool,
                on_block: Callable[[], None] | None = None) -> None:
    """Code-only frames (no commas, quotes or newlines in any value) in blocks of rows."""
    options = pacsv.WriteOptions(quoting_style="none", include_header=False)
    with _sink(path, gzip) as out:
        out.write((",".join(frame.columns) + "\n").encode())  # pyarrow would quote the names
        writer = None
        for a in range(0, max(len(frame), 1), BLOCK_ROWS):
            table = _arrow(frame.iloc[a:a + BLOCK_ROWS])
            if writer is None:
                writer = pacsv.CSVWriter(out, table.schema, write_options=options)
            writer.write_table(table)
            if on_block is not None:
                on_block()
        if writer is not None:
            writer.close()


def write_pandas(frame: pd.DataFrame, path: Path, gzip: bool) -> None:
    """Frames with free text: pandas quotes only the fields that need it."""
    out = frame.copy()
    for name, s in out.items():
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            out[name] = s.dt.strftime("%Y-%m-%d")
    text = out.to_csv(index=False, lineterminator="\n", na_rep="")
    with _sink(path, gzip) as sink:
        sink.write(text.encode("utf-8"))
