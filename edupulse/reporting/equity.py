"""The equity report: one self-contained HTML page for district staff, from an AuditResult.

Plots are inline SVG and the stylesheet is inline, so the file opens offline, makes no request
and prints to PDF as it looks. The report holds only published (suppressed) aggregates: no
student names or identifiers ever reach it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from edupulse.fairness.audit import OVERALL, AuditResult
from edupulse.fairness.disparity import VERDICTS
from edupulse.fairness.summary import PLAIN, SHORT, summarise
from edupulse.reporting.model_card import ModelCard

REPORT_FILE = "equity-report.html"
FLAGGED_METRICS = ("selection_rate", "prevalence", "precision")
MISSED_METRICS = ("recall", "fnr", "false_omission_rate")
APPENDIX_METRICS = ("prevalence", "selection_rate", "precision", "recall", "fnr", "fpr",
                    "false_omission_rate", "auc")
VERDICT_WORDS = {
    "fair": "within the band", "unfair": "outside the band", "inconclusive": "uncertain",
    "not computable": "cannot tell", "reference": "reference group", "suppressed": "hidden",
}


@dataclass(frozen=True)
class Cell:
    attribute: str
    group: str
    metric: str
    value: float | None
    lo: float | None
    hi: float | None
    percent: bool = True
    kind: str = "metric"  # "metric" (a group's figure) or "ratio" (against the reference)

    @property
    def shown(self) -> bool:
        return self.value is not None and bool(np.isfinite(self.value))

    def fmt(self, v: float | None) -> str:
        if v is None or not np.isfinite(v):
            return "n/a"
        return f"{100 * v:.1f}" if self.percent else f"{v:.2f}"


def _f(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _cells(row: pd.Series, metrics: tuple[str, ...]) -> dict[str, Cell]:
    return {m: Cell(row["attribute"], row["group"], m, _f(row[m]), _f(row[f"{m}_lo"]),
                    _f(row[f"{m}_hi"]), percent=m != "auc") for m in metrics}


def _title(text: str) -> str:
    return text[:1].upper() + text[1:]


def _comparison(r: Any, name: str) -> dict[str, Any]:
    return {"verdict": r.verdict, "words": VERDICT_WORDS[r.verdict],
            "css": r.verdict.replace(" ", "-"), "reference": r.reference_group,
            "ratio": Cell(name, r.group, r.metric, _f(r.ratio), _f(r.lo), _f(r.hi), False,
                          "ratio")}


def _matrix(disp: pd.DataFrame, name: str, metrics: list[str]) -> dict[str, Any]:
    """Rows = groups, columns = metrics, cells = ratio to the reference with the verdict."""
    cells = {(r.group, r.metric): _comparison(r, name) for r in disp.itertuples(index=False)}
    groups = list(dict.fromkeys(disp["group"]))
    refs = {m: next(iter(disp.loc[disp["metric"] == m, "reference_group"].dropna()), None)
            for m in metrics}
    return {"metrics": metrics, "refs": refs,
            "rows": [{"group": g, "cells": [cells.get((g, m)) for m in metrics]}
                     for g in groups]}


def _grouping(name: str, gm: pd.DataFrame, d: pd.DataFrame, result: AuditResult,
              overall: pd.Series) -> dict[str, Any]:
    from edupulse.reporting import figures

    rows = gm[gm["attribute"] == name]
    disp = d[d["attribute"] == name] if len(d) else d
    emphasis = list(result.settings.emphasis)
    others = [m for m in dict.fromkeys(disp["metric"]) if m not in emphasis] if len(disp) else []
    groups = [
        {"group": r["group"], "suppressed": bool(r["suppressed"]),
         "n": None if pd.isna(r["n"]) else int(r["n"]), "cells": _cells(r, APPENDIX_METRICS)}
        for _, r in rows.iterrows()
    ]
    compared = len(disp) > 0 and len(groups) > 1
    return {
        "name": name,
        "groups": groups,
        "matrix": _matrix(disp, name, emphasis) if compared else None,
        "other_matrix": _matrix(disp, name, others) if compared and others else None,
        "flagged_svg": figures.interval_chart(rows, "selection_rate",
                                              _f(overall["selection_rate"])),
        "missed_svg": figures.interval_chart(rows, "fnr", _f(overall["fnr"])),
        "ratio_svg": figures.ratio_chart(disp, emphasis, [_title(SHORT[m]) for m in emphasis],
                                         result.settings.band) if compared else "",
    }


def build_context(result: AuditResult, card: ModelCard, *, district: str | None = None,
                  generated: dt.date | None = None) -> dict[str, Any]:
    gm, d = result.group_metrics, result.disparities
    overall = gm[gm["attribute"] == OVERALL].iloc[0]
    summary = summarise(result)
    details = dict(result.source.details)
    groupings = [g for g in dict.fromkeys(gm["attribute"]) if g != OVERALL]
    return {
        "title": "Equity report",
        "district": district or details.get("district") or "All districts",
        "as_of": details.get("as_of"),
        "source": result.source,
        "generated": (generated or dt.date.today()).isoformat(),
        "summary": summary,
        "overall": _cells(overall, APPENDIX_METRICS),
        "overall_suppressed": bool(overall["suppressed"]),
        "groupings": [_grouping(g, gm, d, result, overall) for g in groupings],
        "suppressed": result.suppressed.to_dict(orient="records"),
        "settings": result.settings,
        "summary_facts": result.summary,
        "card": card,
        "plain": PLAIN,
        "short": {k: _title(v) for k, v in SHORT.items()},
        "verdict_words": VERDICT_WORDS,
        "verdicts": VERDICTS,
        "flagged_metrics": FLAGGED_METRICS,
        "missed_metrics": MISSED_METRICS,
        "appendix_metrics": APPENDIX_METRICS,
        "mitigation": _mitigation_rows(result.mitigation),
    }


MITIGATION_VIEW = (  # column, header, kind
    ("selection_rate", "Flagged", "pct"), ("accuracy", "Accuracy", "pct"),
    ("balanced_accuracy", "Balanced accuracy", "pct"), ("recall", "Found (recall)", "pct"),
    ("recall_gap", "Recall gap between groups", "pct"),
    ("worst_recall_ratio", "Worst recall ratio", "ratio"),
    ("worst_fnr_ratio", "Worst miss-rate ratio", "ratio"),
    ("groups_outside_band", "Groups outside the band", "int"),
)
CONSTRAINT_WORDS = {"true_positive_rate_parity": "equal recall",
                    "demographic_parity": "equal flag rates", "equalized_odds": "equalized odds"}


def _mitigation_rows(table: pd.DataFrame | None) -> dict[str, Any] | None:
    if table is None or table.empty:
        return None

    def show(value: Any, kind: str) -> str:
        if value is None or pd.isna(value):
            return "n/a"
        return {"pct": f"{100 * value:.1f}%", "ratio": f"{value:.2f}", "int": f"{int(value)}"}[
            kind]

    rows = []
    for r in table.to_dict(orient="records"):
        method = str(r["method"])
        for k, v in CONSTRAINT_WORDS.items():
            method = method.replace(k, v)
        rows.append({"method": method, "group": "yes" if r["uses_group_at_decision"] else "no",
                     "cells": [show(r.get(c), kind) for c, _, kind in MITIGATION_VIEW]})
    return {"headers": [h for _, h, _ in MITIGATION_VIEW], "rows": rows}


def render_equity_report(result: AuditResult, card: ModelCard, *, district: str | None = None,
                         generated: dt.date | None = None) -> str:
    """The report's HTML text."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("edupulse.reporting", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    context = build_context(result, card, district=district, generated=generated)
    context["css"] = env.loader.get_source(env, "equity.css")[0]  # type: ignore[union-attr]
    return env.get_template("equity.html.j2").render(**context)


def write_equity_report(result: AuditResult, card: ModelCard, out: Path, *,
                        district: str | None = None, generated: dt.date | None = None) -> Path:
    """Write `out`/equity-report.html (atomically) and return its path."""
    from edupulse.fairness.results import atomic_write

    out.mkdir(parents=True, exist_ok=True)
    html = render_equity_report(result, card, district=district, generated=generated)
    return atomic_write(out / REPORT_FILE, html)
