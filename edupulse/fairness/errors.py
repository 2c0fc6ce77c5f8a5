"""The errors an audit reports to its user (bad input, unknown names, missing data), and one
readable message for each, for the CLI."""

from __future__ import annotations

# ValueError covers bad settings (pydantic) and ScoredListError; KeyError an unknown column;
# LookupError missing predictions, labels or artifacts; FileNotFoundError a missing audit.
AUDIT_ERRORS = (ValueError, KeyError, LookupError, FileNotFoundError)


def message(exc: BaseException) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: "
                         f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors())
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc)
