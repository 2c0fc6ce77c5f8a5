"""The audit: a scored list + sensitive attributes (their own argument) -> an AuditResult.

Pure computation; reading inputs and writing files live in edupulse.fairness.inputs and
edupulse.fairness.results. Everything the result holds is already suppressed: no hidden figure
can leak from the object, its tables or anything rendered from it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from edupulse.fairness import metrics as m
from edupulse.fairness.bootstrap import bootstrap, interval
from edupulse.fairness.disparity import disparities
from edupulse.fairness.groups import GroupFrame, build_groups, ordered
from edupulse.fairness.settings import METRICS, UNKNOWN_GROUP, AuditSettings
from edupulse.fairness.suppression import PRIMARY, Suppression, suppress_grouping

OVERALL, ALL_STUDENTS = "overall", "all students"
GROUP_METRIC_COLUMNS = (
    "attribute", "group", "n",
    *(c for metric in METRICS for c in (metric, f"{metric}_lo", f"{metric}_hi")),
    "suppressed",
)
SUPPRESSED_COLUMNS = ("attribute", "group", "kind", "reason")

ERR_ALIGN = "the sensitive attributes must have one row per scored student, in the same order"
ERR_EMPTY = "the scored list is empty: there is nothing to audit"


@dataclass(frozen=True)
class AuditSource:
    """Where the scores came from, in words a district reader understands."""

    kind: str  # "csv", "database" or "mlflow"
    description: str
    outcome: str = "had the outcome"  # what label = 1 means, e.g. "withdrew or failed"
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ScoredList:
    """One row per student: id, score, label (0/1, the realised outcome); no group columns."""

    frame: pd.DataFrame
    source: AuditSource
    notes: tuple[str, ...] = ()  # facts about the input the reader should know (e.g. exclusions)


@dataclass(frozen=True)
class ListSummary:
    n_students: int | None  # None when the whole population is below the small-cell limit
    n_flagged: int | None
    n_positive: int | None
    cutoff: float | None
    tied_at_cutoff: int
    tied_flagged: int


@dataclass(frozen=True, eq=False)
class AuditResult:
    """Published (suppressed) audit tables; the DataFrame properties return copies."""

    settings: AuditSettings
    source: AuditSource
    summary: ListSummary
    notes: tuple[str, ...]
    _group_metrics: pd.DataFrame = field(repr=False)
    _disparities: pd.DataFrame = field(repr=False)
    _suppressed: pd.DataFrame = field(repr=False)
    _mitigation: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def group_metrics(self) -> pd.DataFrame:
        return self._group_metrics.copy()

    @property
    def disparities(self) -> pd.DataFrame:
        return self._disparities.copy()

    @property
    def suppressed(self) -> pd.DataFrame:
        return self._suppressed.copy()

    @property
    def mitigation(self) -> pd.DataFrame | None:
        return None if self._mitigation is None else self._mitigation.copy()

    def with_mitigation(self, table: pd.DataFrame, note: str) -> AuditResult:
        """The same audit with a mitigation comparison attached (shown, never applied)."""
        return dataclasses.replace(self, _mitigation=table.copy(), notes=(*self.notes, note))


def run_audit(
    scored: ScoredList, sensitive: pd.DataFrame, settings: AuditSettings, *,
    progress: bool = False,
) -> AuditResult:
    """Flag the list, measure every group, compare to the reference, suppress small cells."""
    frame = scored.frame
    if len(frame) == 0:
        raise ValueError(ERR_EMPTY)
    if len(sensitive) != len(frame) or not sensitive.index.equals(frame.index):
        raise ValueError(ERR_ALIGN)
    label = frame["label"].to_numpy(dtype=int)
    score = frame["score"].to_numpy(dtype=float)
    flags = m.flag(score, frame["id"].to_numpy(), settings)
    groups = build_groups(sensitive, settings)

    everyone = pd.Series(ALL_STUDENTS, index=frame.index, dtype=object)
    orders = {OVERALL: [ALL_STUDENTS]} | {g: ordered(groups.frame[g]) for g in groups.names}
    labels = {OVERALL: everyone} | {g: groups.frame[g] for g in groups.names}
    reps = bootstrap(label, flags.flagged, score,
                     {name: (labels[name], orders[name]) for name in orders},
                     n_boot=settings.n_boot, seed=settings.seed, progress=progress)

    points = {name: m.group_metrics(label, flags.flagged, score, labels[name])
              for name in orders if name != OVERALL}
    # Every MetricFrame has the whole list as its "overall": take it from the first one.
    first = next(iter(points.values()))
    points = {OVERALL: first.loc[["__overall__"]].set_axis([ALL_STUDENTS])} | {
        name: point.drop(index="__overall__").loc[orders[name]]
        for name, point in points.items()}
    tables, rows_d, hidden = [], [], []
    notes = [*scored.notes, *_list_notes(flags, label)]
    for name, point in points.items():
        cut = _suppress(name, point, groups, settings)
        hidden += cut
        tables.append(_metric_rows(name, point, reps[name].values, {s.group for s in cut},
                                   settings))
        if name == OVERALL:
            continue
        table = disparities(name, point, reps[name], {s.group for s in cut}, settings)
        rows_d.append(table.rows)
        notes += [*table.notes, *_group_notes(name, point, {s.group for s in cut})]

    overall = tables[0].iloc[0]
    n_ok = not bool(overall["suppressed"])
    summary = ListSummary(
        n_students=len(frame) if n_ok else None,
        n_flagged=flags.n_flagged if n_ok else None,
        n_positive=int(label.sum()) if n_ok else None,
        cutoff=flags.cutoff, tied_at_cutoff=flags.tied_at_cutoff,
        tied_flagged=flags.tied_flagged,
    )
    return AuditResult(
        settings=settings, source=scored.source, summary=summary, notes=tuple(notes),
        _group_metrics=pd.concat(tables, ignore_index=True),
        _disparities=pd.concat(rows_d, ignore_index=True) if rows_d else pd.DataFrame(),
        _suppressed=pd.DataFrame([dataclasses.astuple(s) for s in hidden],
                                 columns=list(SUPPRESSED_COLUMNS)),
    )


def _suppress(name: str, point: pd.DataFrame, groups: GroupFrame,
              settings: AuditSettings) -> list[Suppression]:
    sizes = point["n"].to_dict()
    if name == OVERALL:
        return [Suppression(OVERALL, ALL_STUDENTS, PRIMARY,
                            f"fewer than {settings.min_cell} students")] \
            if sizes[ALL_STUDENTS] < settings.min_cell else []
    members = groups.members[name]
    return suppress_grouping(name, sizes, list(point.index), settings.min_cell, members,
                             groups.components(name) if len(members) > 1 else None)


def _metric_rows(name: str, point: pd.DataFrame, values: dict[str, np.ndarray],
                 hidden: set[str], settings: AuditSettings) -> pd.DataFrame:
    out = pd.DataFrame({"attribute": name, "group": list(point.index)})
    out["n"] = pd.array(point["n"].to_numpy(), dtype="Int64")
    for metric in METRICS:
        lo, hi = interval(values[metric], settings.quantiles)
        out[metric], out[f"{metric}_lo"], out[f"{metric}_hi"] = point[metric].to_numpy(), lo, hi
    out["suppressed"] = out["group"].isin(hidden)
    for column in out.columns.drop(["attribute", "group", "suppressed"]):
        out[column] = out[column].mask(out["suppressed"])
    return out[list(GROUP_METRIC_COLUMNS)]


def _list_notes(flags: m.Flags, label: np.ndarray) -> list[str]:
    notes = []
    if flags.n_flagged == 0:
        notes.append("No student is flagged at this list size: precision is undefined and "
                     "every student with the outcome is missed.")
    elif flags.n_flagged == len(label):
        notes.append("Every student is flagged: nobody is missed, and the false omission rate "
                     "is undefined (no student is left off the list).")
    if label.sum() == 0:
        notes.append("No student had the outcome: recall, miss rate and AUC are undefined.")
    elif label.sum() == len(label):
        notes.append("Every student had the outcome: false positive rate and AUC are undefined.")
    if flags.tied_at_cutoff > flags.tied_flagged > 0:
        notes.append(f"{flags.tied_at_cutoff} students share the cut-off score "
                     f"{flags.cutoff:g}; {flags.tied_flagged} of them fill the last places on "
                     "the list, chosen by student id (a neutral, reproducible tie-break).")
    return notes


def _group_notes(name: str, point: pd.DataFrame, hidden: set[str]) -> list[str]:
    shown = point.drop(index=[g for g in hidden if g in point.index])
    notes = []
    if UNKNOWN_GROUP in shown.index:
        notes.append(f"{name}: students with no recorded value form their own group "
                     f"'{UNKNOWN_GROUP}'.")
    no_pos = [g for g in shown.index if shown.at[g, "prevalence"] == 0]
    if no_pos:
        notes.append(f"{name}: no student in {', '.join(no_pos)} had the outcome, so recall, "
                     "miss rate and AUC are undefined there.")
    return notes
