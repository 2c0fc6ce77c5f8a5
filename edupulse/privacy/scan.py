"""`edupulse privacy scan`: find student names, contacts, dates of birth and SIS ids that exist
in the database in files about to be published (MLflow artifacts, executed notebooks, reports,
exports).

Text is read in blocks of about a megabyte; a block goes through the line-by-line detector only
when a cheap set pre-filter says it might hold something, so clean files cost a few regex passes.
Notebooks are read cell by cell (sources and outputs), HTML with its tags removed, .gz files
decompressed, and other binary files (pickled models) as their runs of printable text. Images
and PDFs cannot be read and are listed as skipped. A Finding carries a masked value only.
"""

from __future__ import annotations

import csv
import gzip
import html
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from edupulse.config import Settings
from edupulse.privacy.pii_index import PiiIndex, birth_context, build_index, detect, might_match

__all__ = ["Finding", "PiiIndex", "ScanResult", "build_index", "default_roots", "scan",
           "scan_paths"]

HTML_SUFFIXES = {".html", ".htm", ".svg", ".xml"}
UNREADABLE = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".parquet", ".db", ".sqlite",
              ".zip", ".xlsx"}
DEFAULT_DIRS = ("mlartifacts", "mlruns", "runs", "reports", "exports")
BLOCK = 1 << 20
_TAG = re.compile(r"<[^>]*>")
_PRINTABLE = re.compile(rb"[\x20-\x7e\x80-\xff\t]{4,}")


@dataclass(frozen=True)
class Finding:
    """One identifying value in one place; `masked` never shows the whole value."""

    path: str
    location: str  # "line 12", "cell 3 output 1 line 2", "byte 4096"
    kind: str  # name | contact | date_of_birth | district_id | password
    masked: str

    def __str__(self) -> str:
        return f"{self.path}:{self.location}: {self.kind} {self.masked}"


@dataclass(frozen=True)
class ScanResult:
    findings: tuple[Finding, ...]
    files: int
    skipped: tuple[str, ...] = field(default_factory=tuple)

    @property
    def clean(self) -> bool:
        return not self.findings


def scan_paths(paths: Iterable[Path | str], index: PiiIndex) -> list[Finding]:
    """Every finding in `paths` (files or folders, recursively)."""
    return list(scan(paths, index).findings)


def scan(paths: Iterable[Path | str], index: PiiIndex,
         progress: Callable[[str, int, int | None], None] | None = None) -> ScanResult:
    """Scan files and folders; `progress(label, files done, files in all)` after each file."""
    findings: list[Finding] = []
    files, skipped = 0, []
    todo = list(_files(paths))
    for done, path in enumerate(todo, start=1):
        kind = _kind(path)
        if kind == "unreadable":
            skipped.append(str(path))
        else:
            files += 1
            findings.extend(scan_file(path, index, kind))
        if progress:
            progress("privacy scan", done, len(todo))
    return ScanResult(tuple(findings), files, tuple(skipped))


def default_roots(settings: Settings) -> list[Path]:
    """Where EduPulse publishes from: MLflow artifacts, executed notebooks, reports, exports."""
    return [settings.home / d for d in DEFAULT_DIRS if (settings.home / d).is_dir()]


def _files(paths: Iterable[Path | str]) -> Iterator[Path]:
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file())
        elif p.is_file():
            yield p
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        return suffixes[-2] if len(suffixes) > 1 else ""
    return suffixes[-1] if suffixes else ""


def _kind(path: Path) -> str:
    suffix = _suffix(path)
    if suffix == ".ipynb":
        return "notebook"
    if suffix in UNREADABLE:
        return "unreadable"
    if suffix in HTML_SUFFIXES:
        return "html"
    return "text" if _is_text(path) else "binary"


def _open(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")


def _is_text(path: Path) -> bool:
    with _open(path) as fh:
        head = fh.read(8192)
    return b"\x00" not in head


def scan_file(path: Path, index: PiiIndex, kind: str | None = None) -> list[Finding]:
    kind = kind or _kind(path)
    if kind == "notebook":
        return _scan_notebook(path, index)
    if kind == "binary":
        return _scan_binary(path, index)
    return _scan_text(path, index, html_tags=kind == "html")


def _findings(path: Path, location: str, text: str, index: PiiIndex,
              dates: bool = True) -> list[Finding]:
    return [Finding(str(path), location, h.kind, h.masked)
            for h in detect(text, index, dates=dates)]


class _BirthColumns:
    """In a CSV/TSV file, dates of birth are looked for in the columns whose header says so
    (date_of_birth, dob, birthdate ...) and on lines that mention birth."""

    def __init__(self, header: str, delimiter: str) -> None:
        self.delimiter = delimiter
        fields = next(csv.reader([header], delimiter=delimiter), [])
        self.columns = [i for i, name in enumerate(fields) if birth_context(name)]

    def findings(self, path: Path, line_no: int, line: str, index: PiiIndex) -> list[Finding]:
        if birth_context(line) or not self.columns:
            return _findings(path, f"line {line_no}", line, index, dates=birth_context(line))
        found = _findings(path, f"line {line_no}", line, index, dates=False)
        fields = next(csv.reader([line], delimiter=self.delimiter), [])
        for i in self.columns:
            if i < len(fields):
                found += [f for f in _findings(path, f"line {line_no}", fields[i], index)
                          if f.kind == "date_of_birth"]
        return found


def _scan_text(path: Path, index: PiiIndex, html_tags: bool = False) -> list[Finding]:
    found: list[Finding] = []
    suffix = _suffix(path)
    with _open(path) as raw:
        fh = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")
        line_no = 0
        columns: _BirthColumns | None = None
        while lines := fh.readlines(BLOCK):
            if html_tags:
                lines = [html.unescape(_TAG.sub(" ", line)) for line in lines]
            if line_no == 0 and suffix in (".csv", ".tsv"):
                columns = _BirthColumns(lines[0], "\t" if suffix == ".tsv" else ",")
            block = "".join(lines)
            if columns is not None:
                dates = bool(columns.columns) or birth_context(block)
                if might_match(block, index, dates):
                    for i, line in enumerate(lines, start=line_no + 1):
                        found.extend(columns.findings(path, i, line, index))
            else:
                dates = birth_context(block)
                if might_match(block, index, dates):
                    for i, line in enumerate(lines, start=line_no + 1):
                        found.extend(_findings(path, f"line {i}", line, index, dates))
            line_no += len(lines)
    return found


def _scan_binary(path: Path, index: PiiIndex) -> list[Finding]:
    found: list[Finding] = []
    with _open(path) as fh:
        offset = 0
        while block := fh.read(BLOCK):
            for m in _PRINTABLE.finditer(block):
                text = m.group().decode("utf-8", errors="replace")
                dates = birth_context(text)
                if might_match(text, index, dates):
                    found.extend(_findings(path, f"byte {offset + m.start()}", text, index,
                                           dates))
            offset += len(block)
    return found


def _scan_notebook(path: Path, index: PiiIndex) -> list[Finding]:
    """Cells are numbered from 1 in notebook order; outputs from 1 within their cell."""
    with _open(path) as fh:
        try:
            nb = json.load(fh)
        except ValueError:  # not valid JSON: scan it as plain text
            return _scan_text(path, index)
    found = _scan_lines(path, "metadata", _text(nb.get("metadata")), index)
    for c, cell in enumerate(nb.get("cells", []), start=1):
        found.extend(_scan_lines(path, f"cell {c} source", _text(cell.get("source")), index))
        for o, output in enumerate(cell.get("outputs", []), start=1):
            for text, is_html in _output_texts(output):
                if is_html:
                    text = html.unescape(_TAG.sub(" ", text))
                found.extend(_scan_lines(path, f"cell {c} output {o}", text, index))
    return found


def _scan_lines(path: Path, where: str, text: str, index: PiiIndex) -> list[Finding]:
    """One notebook source or output: dates of birth count where it mentions birth."""
    dates = birth_context(text)
    if not text or not might_match(text, index, dates):
        return []
    return [f for i, line in enumerate(text.splitlines(), start=1)
            for f in _findings(path, f"{where} line {i}", line, index, dates)]


def _text(value: object) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, indent=1, default=str)
    return "" if value is None else str(value)


def _output_texts(output: dict) -> Iterator[tuple[str, bool]]:  # type: ignore[type-arg]
    if "text" in output:  # stream
        yield _text(output["text"]), False
    if "traceback" in output:  # error
        yield "\n".join(output["traceback"]), False
    for mime, value in (output.get("data") or {}).items():
        if mime.startswith("image/") and mime != "image/svg+xml":
            continue
        yield _text(value), mime in ("text/html", "image/svg+xml")
