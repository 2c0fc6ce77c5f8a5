"""k-anonymity of an export over its quasi-identifiers, and generalisation until it holds.

Quasi-identifiers: school, grade level, gender, ethnicity, birth year. A group is the set of
students sharing all five; k is the size of the smallest group. To reach a requested k the
Datafly heuristic generalises, one level at a time, the attribute with the most distinct values
that can still be coarsened:
- birth year: single years -> 2-year bands -> 4-year bands (bands start on years divisible by
  2 or 4; a date of birth is always needed, so it is never removed);
- ethnicity: values held by fewer than k students -> "Other" -> removed (empty);
- gender: removed (empty).
School and grade level are the units research works in and are never coarsened. When at most
`max_suppressed` of the students are still in groups smaller than k, those students are
suppressed (left out with all their records). Every step is reported in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

QUASI_IDENTIFIERS = ("school_code", "grade_level", "gender", "ethnicity", "birth_year")
OTHER = "Other"
BIRTH_YEAR_BANDS = (1, 2, 4)
LEVELS = {"birth_year": len(BIRTH_YEAR_BANDS) - 1, "ethnicity": 2, "gender": 1}
PRIORITY = {"birth_year": 2, "ethnicity": 1, "gender": 0}  # ties: lose the least first
_MISSING = "\x00missing"  # groups treat an empty value as a value of its own


@dataclass(frozen=True)
class KAnonymity:
    k: int  # size of the smallest group (0 when there are no students)
    groups: int
    students: int
    below: int  # students in groups smaller than the requested k (0 when none was requested)
    requested: int | None = None

    def describe(self) -> str:
        text = f"k={self.k} over {self.groups} groups of {self.students} students"
        if self.requested:
            text += f"; {self.below} in groups smaller than {self.requested}"
        return text


@dataclass(frozen=True)
class Generalised:
    frame: pd.DataFrame  # the input rows that remain, quasi-identifiers coarsened
    birth_year_band: int  # 1, 2 or 4: birth_year holds the first year of the band
    suppressed: tuple[str, ...]  # ids of the students left out
    before: KAnonymity
    after: KAnonymity
    changes: tuple[str, ...]


def _groups(frame: pd.DataFrame) -> pd.Series:
    """The group number of every row."""
    keys = frame[list(QUASI_IDENTIFIERS)].astype("object").fillna(_MISSING)
    return keys.groupby(list(QUASI_IDENTIFIERS), sort=False).ngroup()


def _sizes(frame: pd.DataFrame) -> pd.Series:
    groups = _groups(frame)
    return groups.map(groups.value_counts())


def measure(frame: pd.DataFrame, k: int | None = None) -> KAnonymity:
    """k-anonymity of `frame` (one row per student, the QUASI_IDENTIFIERS columns)."""
    if frame.empty:
        return KAnonymity(0, 0, 0, 0, k)
    sizes = _sizes(frame)
    below = int((sizes < k).sum()) if k else 0
    return KAnonymity(int(sizes.min()), int(_groups(frame).nunique()), len(frame), below, k)


def _coarsen(frame: pd.DataFrame, attr: str, level: int, k: int) -> tuple[pd.DataFrame, str]:
    out = frame.copy()
    if attr == "birth_year":
        width = BIRTH_YEAR_BANDS[level]
        out["birth_year"] = (out["birth_year"] // width) * width
        return out, (f"birth year generalised to {width}-year bands (date_of_birth is 1 July of "
                     f"the band's first year)")
    if attr == "ethnicity" and level == 1:
        counts = out["ethnicity"].value_counts()
        rare = sorted(str(v) for v in counts[counts < k].index if v != OTHER)
        out.loc[out["ethnicity"].isin(rare), "ethnicity"] = OTHER
        return out, (f"ethnicity values held by fewer than {k} students merged into "
                     f"'{OTHER}': {', '.join(rare) if rare else 'none'}")
    out[attr] = pd.NA
    return out, f"{attr} removed (left empty)"


def generalise(
    frame: pd.DataFrame, min_k: int, max_suppressed: float = 0.05, id_column: str = "district_id"
) -> Generalised:
    """Coarsen then suppress until every group has at least `min_k` students."""
    if min_k < 1:
        raise ValueError(f"--min-k must be at least 1, got {min_k}")
    if not 0 <= max_suppressed <= 1:
        raise ValueError(f"--max-suppress must be a fraction between 0 and 1, got {max_suppressed}")
    before = measure(frame, min_k)
    current, levels, changes = frame, dict.fromkeys(LEVELS, 0), []
    allowed = int(max_suppressed * len(frame))
    while measure(current, min_k).below > allowed:
        open_attrs = [a for a in LEVELS if levels[a] < LEVELS[a]]
        if not open_attrs:
            break
        attr = max(open_attrs, key=lambda a: (current[a].nunique(dropna=False), PRIORITY[a]))
        levels[attr] += 1
        coarser, change = _coarsen(current, attr, levels[attr], min_k)
        if not coarser[attr].equals(current[attr]):
            current = coarser
            changes.append(change)
    small = _sizes(current) < min_k if len(current) else pd.Series(dtype=bool)
    suppressed = tuple(str(v) for v in current.loc[small, id_column])
    if suppressed:
        share = len(suppressed) / len(frame)
        over = (f", more than the budget of {max_suppressed:.1%} because nothing more could be "
                f"coarsened" if share > max_suppressed else "")
        changes.append(f"{len(suppressed)} students ({share:.1%}) still in groups smaller than "
                       f"{min_k} suppressed{over}: they and all their records are left out")
    kept = current.loc[~small] if len(current) else current
    after = measure(kept, min_k)
    if not changes:
        changes.append(f"nothing changed: every group already has at least {min_k} students")
    return Generalised(kept.reset_index(drop=True), BIRTH_YEAR_BANDS[levels["birth_year"]],
                       suppressed, before, after, tuple(changes))
