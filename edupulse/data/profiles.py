"""Mapping profiles: how a district's own SIS export maps onto the input layout.

A profile (YAML) names each file, renames its columns, maps its code values (P/A/T/E ->
present/absent/tardy/excused), and says which date format, encoding and delimiter it uses, so
an export loads without anyone editing it. The profile is validated in full before any file is
opened: a typo in a profile is a clear error naming the profile entry, never a half-done load.
See docs/input-format.md for the format and data/sample-sis/profile.yaml for an example.
"""

from __future__ import annotations

import codecs
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ValidationError,
    field_validator,
    model_validator,
)

from edupulse.data.schemas import SCHEMAS, FileSchema, Kind

ISO_DATE = "%Y-%m-%d"
# Day > 12 and month > 9, so day/month mix-ups show; a time of day, so time fields show.
_PROBE = dt.datetime(2003, 11, 27, 13, 45, 56)


class ProfileError(ValueError):
    """The profile cannot be used; the message names the file and the entry."""


def _check_encoding(value: str) -> str:
    try:
        codecs.lookup(value)
    except LookupError:
        raise ValueError(f"unknown encoding {value!r}") from None
    return value


def _check_delimiter(value: str) -> str:
    if len(value) != 1 or value in {'"', "\n", "\r"}:
        raise ValueError(f"delimiter must be one character other than a quote or newline, "
                         f"got {value!r}")
    return value


def _check_date_format(value: str) -> str:
    """The format must write and read back a whole date, and nothing but a date."""
    try:
        parsed = dt.datetime.strptime(_PROBE.strftime(value), value)
    except ValueError:
        parsed = None
    if parsed != dt.datetime.combine(_PROBE.date(), dt.time()):
        raise ValueError(f"date format {value!r} does not describe a whole date "
                         f"(example: %m/%d/%Y)")
    return value


Encoding = Annotated[str, AfterValidator(_check_encoding)]
Delimiter = Annotated[str, AfterValidator(_check_delimiter)]
DateFormat = Annotated[str, AfterValidator(_check_date_format)]


class FileProfile(BaseModel):
    """How one file of the export differs from the standard layout."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str | None = None  # file name inside the directory; default <name>.csv[.gz]
    encoding: Encoding | None = None
    delimiter: Delimiter | None = None
    date_format: DateFormat | None = None
    date_formats: dict[str, DateFormat] = {}  # per column, overrides date_format
    columns: dict[str, str] = {}  # export header -> layout column
    codes: dict[str, dict[str, str]] = {}  # layout column -> {export value: layout value}

    @field_validator("file")
    @classmethod
    def _plain_name(cls, v: str | None) -> str | None:
        if v is not None and (not v or Path(v).name != v):
            raise ValueError(f"file must be a plain file name inside the directory, got {v!r}")
        return v


FileName = Literal["students", "attendance", "grades", "discipline"]


class Profile(BaseModel):
    """A whole export: defaults for every file, then per-file differences."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile_version: Literal[1] = 1
    name: str = "standard layout"
    description: str = ""
    encoding: Encoding = "utf-8"
    delimiter: Delimiter = ","
    date_format: DateFormat = ISO_DATE
    files: dict[FileName, FileProfile] = {}

    @model_validator(mode="after")
    def _known_columns(self) -> Profile:
        for name, fp in self.files.items():
            schema = SCHEMAS[name]
            where = f"files.{name}"
            _check_targets(schema, fp.columns.values(), f"{where}.columns")
            _check_targets(schema, fp.codes, f"{where}.codes")
            dates = {c.name for c in schema.columns if c.kind is Kind.DATE}
            for col in fp.date_formats:
                if col not in dates:
                    raise ValueError(f"{where}.date_formats: {col!r} is not a date column of "
                                     f"{name} (date columns: {', '.join(sorted(dates))})")
            targets = list(fp.columns.values())
            if dupes := sorted({t for t in targets if targets.count(t) > 1}):
                raise ValueError(f"{where}.columns: several export columns map to "
                                 f"{', '.join(dupes)}")
        return self

    def settings(self, name: str) -> FileSettings:
        """The resolved reading settings of one file."""
        fp = self.files.get(name, FileProfile())  # type: ignore[call-overload]
        schema = SCHEMAS[name]
        base_fmt = fp.date_format or self.date_format
        formats = {c.name: fp.date_formats.get(c.name, base_fmt)
                   for c in schema.columns if c.kind is Kind.DATE}
        return FileSettings(
            file=fp.file,
            encoding=fp.encoding or self.encoding,
            delimiter=fp.delimiter or self.delimiter,
            date_formats=formats,
            renames=dict(fp.columns),
            code_maps={k: dict(v) for k, v in fp.codes.items()},
        )


def _check_targets(schema: FileSchema, targets: object, where: str) -> None:
    known = set(schema.column_names)
    for target in targets:  # type: ignore[attr-defined]
        if target not in known:
            raise ValueError(f"{where}: {target!r} is not a column of {schema.name} "
                             f"(columns: {', '.join(schema.column_names)})")


@dataclass(frozen=True)
class FileSettings:
    """Everything the reader needs to know about one file, defaults resolved."""

    file: str | None
    encoding: str
    delimiter: str
    date_formats: dict[str, str]
    renames: dict[str, str]
    code_maps: dict[str, dict[str, str]]


STANDARD = Profile()


def load_profile(path: Path) -> Profile:
    """Read and validate a profile YAML; every problem is reported before any work starts."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"profile {path}: cannot read it ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ProfileError(f"profile {path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ProfileError(f"profile {path}: expected a mapping at the top level")
    try:
        return Profile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'profile'}: "
            f"{e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise ProfileError(f"profile {path}: {problems}") from None
