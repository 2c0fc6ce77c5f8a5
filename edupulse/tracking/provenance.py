"""Where a run came from: the code's git commit and the package version.

Recorded on every run so that a number in the MLflow UI can be traced to the code that made it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import edupulse


@dataclass(frozen=True)
class Provenance:
    git_commit: str  # "unknown" outside a git checkout
    git_dirty: bool  # uncommitted changes to tracked files under edupulse/
    package_version: str

    def tags(self) -> dict[str, str]:
        return {"edupulse.git_commit": self.git_commit,
                "edupulse.git_dirty": str(self.git_dirty).lower(),
                "edupulse.version": self.package_version,
                "mlflow.source.git.commit": self.git_commit}


def provenance() -> Provenance:
    root = Path(edupulse.__file__).resolve().parent
    commit = _git(root, "rev-parse", "HEAD") or "unknown"
    dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no", "--", "."))
    return Provenance(commit, dirty, edupulse.__version__)


def _git(cwd: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
