"""Command-line text -> AuditSettings, shared by `edupulse audit` and `edupulse report equity`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edupulse.fairness.groups import parse_intersection
from edupulse.fairness.settings import DEFAULT_ATTRIBUTES, AuditSettings

DEFAULT_TOP_PCT = 10.0

ERR_BOTH_SIZES = "give --top-pct or --threshold, not both"
ERR_BAND_TEXT = "--band must be two numbers LOW,HIGH (e.g. 0.8,1.25), got {text!r}"
ERR_REFERENCE = "--reference must be 'largest', 'best' or ATTRIBUTE=GROUP[,...], got {text!r}"


def split_list(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


def parse_band(text: str) -> tuple[float, float]:
    parts = split_list(text)
    try:
        low, high = (float(p) for p in parts)
    except ValueError:
        raise ValueError(ERR_BAND_TEXT.format(text=text)) from None
    return low, high


def parse_reference(text: str) -> str | dict[str, str]:
    if text in ("largest", "best"):
        return text
    pairs = [p.split("=", 1) for p in split_list(text)]
    if not pairs or any(len(p) != 2 or not p[0].strip() for p in pairs):
        raise ValueError(ERR_REFERENCE.format(text=text))
    return {k.strip(): v.strip() for k, v in pairs}


def build_settings(
    *,
    groups: str | None,
    intersect: Sequence[str] = (),
    top_pct: float | None = None,
    threshold: float | None = None,
    min_cell: int = 10,
    band: str = "0.8,1.25",
    reference: str = "largest",
    n_boot: int = 1000,
    seed: int = 0,
    ci: float = 0.95,
    known_columns: Sequence[str] | None = None,
) -> AuditSettings:
    """Settings from option text; `known_columns` resolves 'genderxage_band' style names."""
    if top_pct is not None and threshold is not None:
        raise ValueError(ERR_BOTH_SIZES)
    if top_pct is None and threshold is None:
        top_pct = DEFAULT_TOP_PCT
    attributes = split_list(groups) or DEFAULT_ATTRIBUTES
    columns = list(known_columns) if known_columns is not None else list(attributes)
    specs = [s for text in intersect for s in split_list(text)]
    fields: dict[str, Any] = dict(
        attributes=attributes,
        intersections=tuple(parse_intersection(s, columns) for s in specs),
        top_pct=top_pct, threshold=threshold, min_cell=min_cell, band=parse_band(band),
        reference=parse_reference(reference), n_boot=n_boot, seed=seed, ci_level=ci,
    )
    return AuditSettings(**fields)
