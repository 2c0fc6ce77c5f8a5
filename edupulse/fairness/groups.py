"""Sensitive attributes -> one string label per student and grouping (attributes, intersections).

Missing values become their own "unknown" group instead of silently dropping students, and
labels are strings so that CSV, JSON and the report show the same text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from edupulse.fairness.settings import (
    INTERSECTION_JOIN,
    UNKNOWN_GROUP,
    AuditSettings,
    intersection_name,
)

ERR_MISSING_ATTRIBUTE = "sensitive attribute {name!r} is not among the columns {columns}"
ERR_BAD_INTERSECTION = (
    "cannot read intersection {spec!r}: write two or more of the columns {columns} joined by 'x' "
    "(e.g. genderxethnicity)"
)


@dataclass(frozen=True)
class GroupFrame:
    """String group labels per student, one column per grouping, rows aligned with the scores."""

    frame: pd.DataFrame
    members: dict[str, tuple[str, ...]] = field(default_factory=dict)
    parts: pd.DataFrame = field(default_factory=pd.DataFrame)  # every member attribute, labelled

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.frame.columns)

    def components(self, name: str) -> dict[str, tuple[str, ...]]:
        """Group label -> its value of each member attribute (for an intersection's margins)."""
        members = list(self.members[name])
        pairs = pd.concat([self.frame[name], self.parts[members]], axis=1).drop_duplicates()
        return {row[0]: tuple(row[1:]) for row in pairs.itertuples(index=False)}


def normalise(values: pd.Series) -> pd.Series:
    """Text labels; missing or blank -> "unknown"; whole-number floats lose their ".0"."""
    if pd.api.types.is_float_dtype(values) and values.dropna().mod(1).eq(0).all():
        values = values.astype("Int64")
    text = values.astype("string").str.strip()
    return text.mask(text.isna() | text.eq(""), UNKNOWN_GROUP).astype(object)


def build_groups(sensitive: pd.DataFrame, settings: AuditSettings) -> GroupFrame:
    """The attributes and intersections of `settings`, labelled, from the sensitive columns."""
    needed = list(dict.fromkeys([*settings.attributes, *(a for p in settings.intersections
                                                          for a in p)]))
    for name in needed:
        if name not in sensitive.columns:
            raise KeyError(ERR_MISSING_ATTRIBUTE.format(name=name, columns=list(sensitive.columns)))
    base = {name: normalise(sensitive[name]) for name in needed}
    columns: dict[str, pd.Series] = {name: base[name] for name in settings.attributes}
    members: dict[str, tuple[str, ...]] = {name: (name,) for name in settings.attributes}
    for parts in settings.intersections:
        label = base[parts[0]]
        for part in parts[1:]:
            label = label + INTERSECTION_JOIN + base[part]
        columns[intersection_name(parts)] = label
        members[intersection_name(parts)] = parts
    frame = pd.DataFrame(columns, index=sensitive.index)
    return GroupFrame(frame=frame, members=members, parts=pd.DataFrame(base, index=sensitive.index))


def parse_intersection(spec: str, columns: Sequence[str]) -> tuple[str, ...]:
    """Split "genderxage_band" at the 'x's that separate known columns (a column may contain x)."""
    spec = spec.strip()
    for sep in ("×", "*", ":", " x "):
        if sep in spec:
            parts = tuple(p.strip() for p in spec.split(sep))
            if all(p in columns for p in parts) and len(parts) >= 2:
                return parts
    found = _split_known(spec, set(columns))
    if found is None or len(found) < 2:
        raise ValueError(ERR_BAD_INTERSECTION.format(spec=spec, columns=list(columns)))
    return found


def _split_known(spec: str, known: set[str]) -> tuple[str, ...] | None:
    if spec in known:
        return (spec,)
    for m in re.finditer("x", spec):
        head, tail = spec[: m.start()], spec[m.end():]
        if head in known:
            rest = _split_known(tail, known)
            if rest is not None:
                return (head, *rest)
    return None


def ordered(labels: Iterable[str]) -> list[str]:
    """Natural order (grade 9 before 10), "unknown" last, so every output lists groups alike."""
    def key(label: str) -> tuple[bool, list[tuple[int, object]]]:
        parts = re.split(r"(\d+(?:\.\d+)?)", label)
        natural = [(0, float(p)) if i % 2 else (1, p.lower()) for i, p in enumerate(parts) if p]
        return UNKNOWN_GROUP in label.split(INTERSECTION_JOIN), natural
    return sorted(set(labels), key=key)
