"""One readable line (or a few) from the errors the audit raises, for the CLI."""

from __future__ import annotations


def message(exc: BaseException) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: "
                         f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors())
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc)
