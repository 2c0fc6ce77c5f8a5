"""`edupulse synth`: the command writes the files; bad options get one clear message."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from edupulse.cli import app
from edupulse.data.synth import FILES


def test_cli_writes_the_files_and_reports_rows(tmp_path):
    result = CliRunner().invoke(app, ["synth", "--students", "30", "--weeks", "6", "--seed", "3",
                                      "--out", str(tmp_path), "--gzip"])
    assert result.exit_code == 0, result.output
    for name in FILES:
        assert (tmp_path / f"{name}.csv.gz").exists()
        assert f"{name}.csv.gz" in result.output
    assert "30 rows" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--start", "2024-08-27"], "start 2024-08-27 is a Tuesday"),
    (["--start", "26/08/2024"], "--start '26/08/2024' is not an ISO date"),
    (["--students", "0"], "students: Input should be greater than or equal to 1"),
])
def test_cli_bad_options_exit_2_with_a_clear_message(tmp_path, args, message):
    result = CliRunner().invoke(app, ["synth", "--out", str(tmp_path / "x"), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "x").exists()


def test_cli_unwritable_directory_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = CliRunner().invoke(app, ["synth", "--students", "5", "--weeks", "2",
                                      "--out", str(blocker / "out")])
    assert result.exit_code == 2
    assert "cannot write the files into" in result.output
