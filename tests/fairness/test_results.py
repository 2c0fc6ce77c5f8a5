"""Audit files: exact columns, the same bytes every run, a faithful round trip, no identifiers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from edupulse.fairness.audit import GROUP_METRIC_COLUMNS, run_audit
from edupulse.fairness.disparity import COLUMNS
from edupulse.fairness.results import FILES, read_audit, write_audit
from tests.fairness.builders import scored, sensitive, settings, synthetic


def _result(seed: int = 0):  # type: ignore[no-untyped-def]
    frame = synthetic(300, seed=seed)
    frame.loc[frame.index[:4], "group"] = "tiny"
    return frame, run_audit(scored(frame), sensitive(frame, "group", "other"),
                            settings(attributes=("group", "other"), min_cell=10,
                                     intersections=(("group", "other"),)))


def test_files_have_the_columns_the_issue_lists(tmp_path: Path) -> None:
    _, result = _result()
    written = write_audit(result, tmp_path)
    assert sorted(p.name for p in written) == sorted(FILES)
    gm = pd.read_csv(tmp_path / "group_metrics.csv")
    assert list(gm.columns) == list(GROUP_METRIC_COLUMNS)
    assert list(GROUP_METRIC_COLUMNS[:5]) == ["attribute", "group", "n", "prevalence",
                                              "prevalence_lo"]
    assert list(pd.read_csv(tmp_path / "disparities.csv").columns) == list(COLUMNS)
    assert list(COLUMNS) == ["attribute", "group", "reference_group", "metric", "ratio", "lo",
                             "hi", "verdict"]
    data = json.loads((tmp_path / "audit.json").read_text())
    assert data["settings"]["min_cell"] == 10 and data["settings"]["top_pct"] == 30
    assert len(data["group_metrics"]) == len(gm)
    assert {s["group"] for s in data["suppressed"]} >= {"tiny"}


def test_suppressed_cells_are_blank_in_the_csv(tmp_path: Path) -> None:
    _, result = _result()
    write_audit(result, tmp_path)
    gm = pd.read_csv(tmp_path / "group_metrics.csv")
    tiny = gm[gm["group"] == "tiny"].iloc[0]
    assert bool(tiny["suppressed"]) and tiny.drop(["attribute", "group", "suppressed"]).isna().all()


def test_same_input_same_bytes(tmp_path: Path) -> None:
    write_audit(_result()[1], tmp_path / "a")
    write_audit(_result()[1], tmp_path / "b")
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_read_audit_gives_back_the_same_tables(tmp_path: Path) -> None:
    _, result = _result()
    write_audit(result, tmp_path)
    back = read_audit(tmp_path)
    pd.testing.assert_frame_equal(back.group_metrics, result.group_metrics)
    pd.testing.assert_frame_equal(back.disparities, result.disparities)
    pd.testing.assert_frame_equal(back.suppressed, result.suppressed)
    assert back.settings == result.settings
    assert back.summary == result.summary and back.notes == result.notes
    assert back.source == result.source


def test_no_student_id_reaches_any_file(tmp_path: Path) -> None:
    frame, result = _result()
    write_audit(result, tmp_path)
    text = "".join(p.read_text() for p in tmp_path.iterdir())
    assert not [i for i in frame["id"] if i in text]


def test_a_folder_without_an_audit_is_named(tmp_path: Path) -> None:
    import pytest

    with pytest.raises(FileNotFoundError, match="no audit.json here"):
        read_audit(tmp_path)
    (tmp_path / "audit.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="not an EduPulse audit"):
        read_audit(tmp_path)
