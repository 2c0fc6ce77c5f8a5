"""YAML config files -> pydantic models, with messages a researcher can act on.

PyYAML's node tree keeps the line of every key, so a validation error can say "file, line 12:
key 'label.horizon_days': expected a valid integer (got 'twelve')" instead of pydantic's bare
location tuple. Used by edupulse.experiment; usable by any YAML config validated with pydantic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError


class YamlLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: pydantic parses the dates, so '2025-02-30' gets a
    message naming the key instead of PyYAML's bare ValueError."""


YamlLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_KEYED = re.compile(r"^([A-Za-z_]+(?:\.[A-Za-z_]+|\[\d+\])*): (.*)$", re.S)


def read_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The data and the node tree (for line numbers); ValueError when it is not YAML."""
    try:
        data = yaml.load(text, Loader=YamlLoader)  # a SafeLoader subclass: no arbitrary objects
        return data, yaml.compose(text, Loader=YamlLoader)
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {exc}") from None


def describe(
    exc: ValidationError, source: str, root: yaml.Node | None, model: type[BaseModel]
) -> str:
    """One line per error: source, line, dotted key, what was expected and what was given.

    A validator may name a key itself by starting its message with "dotted.key[0]: ...".
    """
    errors = exc.errors(include_url=False)
    locs = [tuple(p for p in e["loc"] if not _is_union_tag(p)) for e in errors]
    lines = []
    for err, loc in zip(errors, locs, strict=True):
        if any(len(other) > len(loc) and other[: len(loc)] == loc for other in locs):
            continue  # a container's complaint that follows from its item's own error
        msg = err["msg"].removeprefix("Value error, ")
        if msg.startswith("Input should be "):
            msg = "expected " + msg.removeprefix("Input should be ")
        if not loc and (m := _KEYED.match(msg)):
            loc, msg = _parse_dotted(m.group(1)), m.group(2)
        if err["type"] == "extra_forbidden":
            msg = f"unknown key; expected one of: {', '.join(_allowed_keys(model, loc[:-1]))}"
        elif err["type"] == "missing":
            msg = "missing; this key is required"
        elif not isinstance(err.get("input"), dict | list) and "got " not in msg:
            msg = f"{msg} (got {err.get('input')!r})"
        lines.append(f"{source}{line_of(root, loc)}: key '{_dotted(loc) or '(top level)'}': {msg}")
    return "\n".join(lines)


def _is_union_tag(part: Any) -> bool:
    # Members of a union show up in error locations under their type names.
    return isinstance(part, str) and (
        "[" in part or part in ("str", "int", "float", "bool", "none")
    )


def _dotted(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _parse_dotted(key: str) -> tuple[Any, ...]:
    parts: list[Any] = []
    for name, index in re.findall(r"([A-Za-z_]+)|\[(\d+)\]", key):
        parts.append(name if name else int(index))
    return tuple(parts)


def _allowed_keys(root: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    model: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        model = _model_in(field.annotation) if field is not None else None
    return list(model.model_fields) if model is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        if (found := _model_in(arg)) is not None:
            return found
    return None


def line_of(root: yaml.Node | None, loc: Sequence[Any]) -> str:
    """', line N' of the deepest YAML node on `loc`: the row a reader should look at."""
    node, line = root, None
    for part in loc:
        step = _child(node, part)
        if step is None:
            break
        marker, node = step
        line = marker.start_mark.line + 1
    return f", line {line}" if line is not None else ""


def _child(node: yaml.Node | None, part: Any) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None
