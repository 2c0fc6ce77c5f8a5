"""The spec's DDL, taken from the SQL blocks of database-schema.md that create tables."""

from __future__ import annotations

import re
from pathlib import Path

VENDORED_SPEC = Path(__file__).parent / "spec_v1.sql"
SHARED_SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "database-schema.md"


def ddl_from_markdown(text: str) -> str:
    blocks = re.findall(r"```sql\n(.*?)```", text, flags=re.S)
    wanted = [b for b in blocks if "CREATE TABLE" in b and "PARTITION" not in b]
    return "\n".join(b.strip() + "\n" for b in wanted)
