"""Plain-language findings from an AuditResult: for the CLI and the first page of the report.

A ratio verdict says whether two groups differ, not who is worse off; the wording here adds the
direction (a high miss rate is bad, a high recall is good) so district staff need not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from edupulse.fairness.audit import OVERALL, AuditResult
from edupulse.fairness.disparity import FAIR, INCONCLUSIVE, NOT_COMPUTABLE, UNFAIR
from edupulse.fairness.settings import HIGHER_IS_BETTER

PLAIN = {
    "selection_rate": "share of students flagged",
    "precision": "share of flagged students who had the outcome",
    "recall": "share of at-risk students the list finds",
    "fnr": "share of at-risk students the list misses",
    "fpr": "share of not-at-risk students flagged anyway",
    "false_omission_rate": "share of unflagged students who still had the outcome",
    "auc": "how well scores rank at-risk students above the others (AUC)",
    "prevalence": "share of students who had the outcome",
}
SHORT = {
    "selection_rate": "flagged", "precision": "precision", "recall": "found (recall)",
    "fnr": "missed (miss rate)", "fpr": "false alarms", "false_omission_rate":
    "missed among unflagged", "auc": "AUC", "prevalence": "had the outcome",
}


@dataclass(frozen=True)
class Finding:
    attribute: str
    group: str
    reference_group: str
    metric: str
    ratio: float
    lo: float
    hi: float
    verdict: str
    worse_off: str  # the group the difference disadvantages
    level: int = 95  # confidence level of the interval, in percent

    @property
    def sentence(self) -> str:
        return (f"{self.attribute} = {self.group} vs {self.reference_group}: "
                f"{PLAIN[self.metric]} differs by a ratio of {self.ratio:.2f} "
                f"({self.level}% interval {self.lo:.2f} to {self.hi:.2f}); "
                f"worse for {self.worse_off}.")


@dataclass(frozen=True)
class Summary:
    headline: tuple[str, ...]
    findings: tuple[Finding, ...]  # "unfair" verdicts on the emphasis metrics, worst first
    counts: dict[str, dict[str, int]]  # emphasis metric -> verdict -> number of groups
    notes: tuple[str, ...]

    def lines(self) -> list[str]:
        out = list(self.headline)
        for metric, counts in self.counts.items():
            out.append(f"{SHORT[metric]}: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
        out += [f"- {f.sentence}" for f in self.findings]
        out += [f"note: {n}" for n in self.notes]
        return out


def pct(value: float | None, digits: int = 0) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{100 * value:.{digits}f}%"


def summarise(result: AuditResult) -> Summary:
    gm = result.group_metrics
    overall = gm[gm["attribute"] == OVERALL].iloc[0]
    s = result.summary
    headline = []
    if s.n_students is None:
        headline.append("Fewer students than the small-cell limit: every figure is suppressed.")
    else:
        headline.append(
            f"The list flags {s.n_flagged:,} of {s.n_students:,} students "
            f"({pct(s.n_flagged / s.n_students, 1)}; rule: {result.settings.list_rule}).")
        headline.append(
            f"{s.n_positive:,} students {result.source.outcome}; the list finds "
            f"{pct(overall['recall'])} of them and misses {pct(overall['fnr'])}. "
            f"Of the flagged students, {pct(overall['precision'])} {result.source.outcome}.")
    d = result.disparities
    emphasis = list(result.settings.emphasis)
    counts: dict[str, dict[str, int]] = {}
    for metric in emphasis:
        rows = d[d["metric"] == metric] if len(d) else d
        c = Counter(rows["verdict"]) if len(rows) else Counter()
        counts[metric] = {v: c[v] for v in (FAIR, INCONCLUSIVE, UNFAIR, NOT_COMPUTABLE) if c[v]}
    findings = tuple(sorted(
        (_finding(r, round(100 * result.settings.ci_level)) for r in d.itertuples(index=False)
         if r.metric in emphasis and r.verdict == UNFAIR),
        key=lambda f: -abs(np.log(f.ratio)) if f.ratio > 0 else -np.inf,
    )) if len(d) else ()
    return Summary(tuple(headline), findings, counts, result.notes)


def _finding(r: pd.Series, level: int) -> Finding:
    group_better = (r.ratio > 1) == HIGHER_IS_BETTER[r.metric]
    return Finding(r.attribute, r.group, r.reference_group, r.metric, r.ratio, r.lo, r.hi,
                   r.verdict, r.reference_group if group_better else r.group, level)
