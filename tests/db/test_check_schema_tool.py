"""The team's independent checker (shared/tools/check_schema.py) passes on both backends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[3] / "shared" / "tools" / "check_schema.py"


def test_check_schema_tool_passes(db_url: str) -> None:
    if not TOOL.exists():
        pytest.skip(f"{TOOL} not beside the project")
    out = subprocess.run([sys.executable, str(TOOL), db_url], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "checks hold" in out.stdout and "FAIL" not in out.stdout
