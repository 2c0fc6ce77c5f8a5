"""External scored lists: each kind of bad input gets an error naming file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from edupulse.fairness.inputs import CsvColumns, ScoredListError, csv_header, read_scored_csv

COLS = CsvColumns("sid", "risk", "y", ("gender", "band"))


def _write(tmp_path: Path, text: str, name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path, columns: CsvColumns = COLS) -> list[str]:
    with pytest.raises(ScoredListError) as err:
        read_scored_csv(path, columns)
    return [str(p) for p in err.value.problems]


def test_a_good_file_is_read_with_sensitive_columns_apart(tmp_path: Path) -> None:
    path = _write(tmp_path, "sid,risk,y,gender,band,extra\n"
                            "s1,0.9,1,F,young,z\ns2,0.1,0,,old,z\ns3,1e-3,0.0,M,old,z\n")
    scored, sensitive = read_scored_csv(path, COLS, outcome="dropped out")
    assert list(scored.frame.columns) == ["id", "score", "label"]
    assert list(scored.frame["score"]) == [0.9, 0.1, 0.001]
    assert list(scored.frame["label"]) == [1, 0, 0]
    assert list(sensitive.columns) == ["gender", "band"]
    assert sensitive["gender"].isna().tolist() == [False, True, False]
    assert scored.source.description == "list.csv" and scored.source.outcome == "dropped out"


def test_missing_columns_are_named_with_the_header(tmp_path: Path) -> None:
    path = _write(tmp_path, "sid,score,y,gender\ns1,0.5,1,F\n")
    assert _problems(path) == [
        f"{path}, line 1, column 'risk': column is missing; the header has "
        "['sid', 'score', 'y', 'gender']",
        f"{path}, line 1, column 'band': column is missing; the header has "
        "['sid', 'score', 'y', 'gender']",
    ]


def test_non_numeric_blank_and_infinite_scores(tmp_path: Path) -> None:
    path = _write(tmp_path, "sid,risk,y,gender,band\ns1,high,1,F,a\ns2,,0,F,a\n"
                            "s3,inf,0,F,a\ns4,0.5,1,F,a\n")
    assert _problems(path) == [
        f"{path}, line 2, column 'risk': score must be a finite number (got 'high')",
        f"{path}, line 3, column 'risk': score must be a finite number (got '')",
        f"{path}, line 4, column 'risk': score must be a finite number (got 'inf')",
    ]


def test_labels_other_than_0_or_1(tmp_path: Path) -> None:
    path = _write(tmp_path, "sid,risk,y,gender,band\ns1,0.2,2,F,a\ns2,0.3,yes,F,a\n"
                            "s3,0.4,,F,a\ns4,0.5,1.0,F,a\n")
    assert _problems(path) == [
        f"{path}, line 2, column 'y': label must be 0 or 1 (got '2')",
        f"{path}, line 3, column 'y': label must be 0 or 1 (got 'yes')",
        f"{path}, line 4, column 'y': label must be 0 or 1 (got '')",
    ]


def test_blank_and_duplicate_ids(tmp_path: Path) -> None:
    path = _write(tmp_path, "sid,risk,y,gender,band\ns1,0.2,1,F,a\n,0.3,0,F,a\n"
                            "s1,0.4,0,F,a\n")
    assert _problems(path) == [
        f"{path}, line 3, column 'sid': student id is blank",
        f"{path}, line 4, column 'sid': student id appears more than once (also on line 2) "
        "(got 's1')",
    ]


def test_all_problems_are_reported_in_line_order(tmp_path: Path) -> None:
    path = _write(tmp_path, "sid,risk,y,gender,band\ns1,x,3,F,a\ns2,0.1,0,F,a\n")
    assert [p.split(": ")[0] for p in _problems(path)] == [
        f"{path}, line 2, column 'risk'", f"{path}, line 2, column 'y'"]


def test_one_column_in_two_roles_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "sid,risk,y,gender\ns1,0.2,1,F\n")
    problems = _problems(path, CsvColumns("sid", "risk", "y", ("gender", "y")))
    assert problems == [f"{path}, line 1, column 'y': column is used both as the label and "
                        "as a group"]


def test_missing_empty_and_header_only_files(tmp_path: Path) -> None:
    assert _problems(tmp_path / "nope.csv") == [f"{tmp_path / 'nope.csv'}: file not found"]
    empty = _write(tmp_path, "", "empty.csv")
    assert _problems(empty) == [f"{empty}, line 1: the file is empty (no header line)"]
    header = _write(tmp_path, "sid,risk,y,gender,band\n", "header.csv")
    assert _problems(header) == [f"{header}, line 2: the file has a header but no data rows"]


def test_long_problem_lists_are_cut_in_the_message(tmp_path: Path) -> None:
    rows = "".join(f"s{i},bad,0,F,a\n" for i in range(30))
    path = _write(tmp_path, "sid,risk,y,gender,band\n" + rows)
    with pytest.raises(ScoredListError) as err:
        read_scored_csv(path, COLS)
    assert len(err.value.problems) == 30
    assert str(err.value).splitlines()[-1] == "... and 10 more problems"


def test_header_is_read_without_the_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, "\ufeffsid,risk\ns1,0.1\n")
    assert csv_header(path) == ["sid", "risk"]
