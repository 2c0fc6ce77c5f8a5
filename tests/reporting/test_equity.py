"""The equity report: its numbers are the audit's, it is self-contained, it names no student."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from edupulse.fairness.audit import AuditResult, run_audit
from edupulse.fairness.results import read_audit, write_audit
from edupulse.fairness.summary import summarise
from edupulse.reporting.equity import (
    REPORT_FILE,
    VERDICT_WORDS,
    render_equity_report,
    write_equity_report,
)
from edupulse.reporting.model_card import ModelCard
from tests.fairness.builders import scored, sensitive, settings, synthetic

DAY = dt.date(2025, 3, 3)


class Numbers(HTMLParser):
    """Every <span data-kind=...> with its text, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[dict[str, str], str]] = []
        self.counts: dict[tuple[str, str], str] = {}
        self._open: dict[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "data-kind" in a or "data-verdict" in a:
            self._open, self._text = a, []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is None:
            return
        text = "".join(self._text).strip()
        if "data-verdict" in self._open:
            self.counts[(self._open["data-metric"], self._open["data-verdict"])] = text
        else:
            self.found.append((self._open, text))
        self._open = None


@pytest.fixture(scope="module")
def result() -> AuditResult:
    frame = synthetic(1500, seed=11)
    frame.loc[frame.index[:7], "group"] = "C"  # primary suppression (+ complementary)
    frame.loc[frame.index[7:30], "other"] = None
    return run_audit(scored(frame), sensitive(frame, "group", "other"),
                     settings(attributes=("group", "other"), intersections=(("group", "other"),),
                              min_cell=10, n_boot=200, top_pct=20))


@pytest.fixture(scope="module")
def html(result: AuditResult) -> str:
    return render_equity_report(result, ModelCard(version="edupulse-risk/3"), generated=DAY)


def _parse(html: str) -> Numbers:
    p = Numbers()
    p.feed(html)
    return p


def _shown(value: float, percent: bool) -> str:
    return f"{100 * value:.1f}" if percent else f"{value:.2f}"


def test_every_number_in_the_report_equals_the_audit(result: AuditResult, html: str) -> None:
    gm = result.group_metrics.set_index(["attribute", "group"])
    d = result.disparities.set_index(["attribute", "group", "metric"])
    spans = _parse(html).found
    assert len(spans) > 200
    for a, text in spans:
        key = (a["data-attribute"], a["data-group"])
        metric, part = a["data-metric"], a["data-part"]
        if a["data-kind"] == "verdict":
            assert text == VERDICT_WORDS[d.loc[(*key, metric), "verdict"]], (key, metric)
            continue
        if a["data-kind"] == "ratio":
            value = d.loc[(*key, metric), {"value": "ratio"}.get(part, part)]
            assert text == _shown(value, False), (key, metric, part)
        elif metric == "n":
            assert text.replace(",", "") == str(gm.loc[key, "n"]), key
        else:
            column = metric if part == "value" else f"{metric}_{part}"
            assert text == _shown(gm.loc[key, column], metric != "auc"), (key, column)


def test_every_published_figure_appears(result: AuditResult, html: str) -> None:
    seen = {(a["data-attribute"], a["data-group"], a["data-metric"])
            for a, _ in _parse(html).found if a["data-kind"] == "metric"}
    gm = result.group_metrics
    for row in gm[~gm["suppressed"]].itertuples(index=False):
        for metric in ("n", "selection_rate", "recall", "fnr", "false_omission_rate", "auc"):
            value = row.n if metric == "n" else getattr(row, metric)
            if pd.notna(value):
                assert (row.attribute, row.group, metric) in seen, (row.group, metric)


def test_suppressed_groups_show_no_number_and_are_marked(result: AuditResult,
                                                         html: str) -> None:
    hidden = set(zip(result.suppressed["attribute"], result.suppressed["group"], strict=True))
    assert ("group", "C") in hidden and len(hidden) >= 2
    for a, _ in _parse(html).found:
        if a["data-kind"] != "verdict":
            assert (a["data-attribute"], a["data-group"]) not in hidden, a
    assert html.count('class="hidden"') >= len(hidden)
    for reason in result.suppressed["reason"]:
        assert reason in unescape(html)


def test_verdict_counts_equal_the_summary(result: AuditResult, html: str) -> None:
    counts = _parse(html).counts
    for metric, by_verdict in summarise(result).counts.items():
        for verdict in ("fair", "inconclusive", "unfair", "not computable"):
            assert counts[(metric, verdict)] == str(by_verdict.get(verdict, 0))


def test_the_report_is_self_contained(html: str) -> None:
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert html.count("<svg") >= 9  # every chart inline


def test_no_student_identifier_reaches_the_report(result: AuditResult, html: str) -> None:
    ids = set(synthetic(1500, seed=11)["id"])
    assert ids and not ids & set(re.findall(r"\w+", html))


def test_the_plain_language_summary_comes_first(html: str) -> None:
    order = [html.index(f'id="{s}"') for s in ("summary", "flagged", "missed", "disparities",
                                                 "suppressed", "method", "model-card")]
    assert order == sorted(order)
    assert "The list flags 300 of 1,500 students" in html


def test_print_css_is_present(html: str) -> None:
    assert "@media print" in html and "@page" in html


def test_model_card_says_protected_attributes_are_not_inputs(html: str) -> None:
    assert "edupulse-risk/3" in html
    assert "gender, ethnicity, socioeconomic_status are <b>not</b> model inputs" in html


def test_external_list_card_does_not_guess() -> None:
    frame = synthetic(200, seed=1)
    r = run_audit(scored(frame), sensitive(frame), settings(min_cell=10))
    page = render_equity_report(r, ModelCard.external("vendor.csv"), generated=DAY)
    assert "Not known: ask the supplier" in page and "external list (vendor.csv)" in page


def test_same_audit_same_bytes_and_saved_audit_gives_the_same_report(
    result: AuditResult, html: str, tmp_path: Path
) -> None:
    card = ModelCard(version="edupulse-risk/3")
    write_audit(result, tmp_path / "audit")
    path = write_equity_report(read_audit(tmp_path / "audit"), card, tmp_path / "out",
                               generated=DAY)
    assert path.name == REPORT_FILE and path.read_text(encoding="utf-8") == html


def test_a_single_group_list_renders_without_comparisons() -> None:
    frame = synthetic(200, seed=1).assign(group="A")
    r = run_audit(scored(frame), sensitive(frame), settings(min_cell=10))
    page = render_equity_report(r, ModelCard(), generated=DAY)
    assert "Only one group: nothing to compare." in page
    assert "only one group (A)" in page


def test_a_list_below_the_small_cell_limit_renders_with_everything_hidden() -> None:
    frame = synthetic(8, seed=1)
    r = run_audit(scored(frame), sensitive(frame), settings(min_cell=10))
    page = render_equity_report(r, ModelCard(), generated=DAY)
    assert "every figure is suppressed" in page
    assert not [a for a, _ in _parse(page).found if a["data-kind"] == "metric"]


def test_undefined_figures_read_n_a_not_zero() -> None:
    frame = synthetic(400, seed=2)
    frame.loc[frame["group"] == "B", "label"] = 0
    r = run_audit(scored(frame), sensitive(frame), settings(min_cell=10))
    page = render_equity_report(r, ModelCard(), generated=DAY)
    assert "n/a" in page
    recall_b = [t for a, t in _parse(page).found if a["data-group"] == "B"
                and a["data-metric"] == "recall" and a["data-kind"] != "verdict"]
    assert recall_b == []  # shown as n/a, never as a number
    assert np.isnan(r.group_metrics.query("group == 'B'")["recall"].iloc[0])


def test_mitigation_appears_only_when_compared(result: AuditResult, html: str) -> None:
    assert 'id="mitigation"' not in html
    table = pd.DataFrame([{
        "method": "ThresholdOptimizer (true_positive_rate_parity)",
        "uses_group_at_decision": True, "selection_rate": 0.25, "accuracy": 0.7,
        "balanced_accuracy": 0.68, "precision": 0.5, "recall": 0.6, "recall_gap": 0.02,
        "worst_recall_ratio": 0.97, "worst_fnr_ratio": 1.03,
        "worst_false_omission_rate_ratio": 1.1, "groups_outside_band": 0}])
    page = render_equity_report(result.with_mitigation(table, "compared, not applied"),
                                ModelCard(), generated=DAY)
    section = page[page.index('id="mitigation"'):page.index('id="appendix"')]
    assert "ThresholdOptimizer (equal recall)" in section
    assert ">25.0%<" in section and ">0.97<" in section and ">yes<" in section
