"""The YAML -> pydantic error messages, on a model of its own (experiment configs use them)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from edupulse.yaml_config import describe, line_of, read_yaml


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: int


class Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[Inner]

    @model_validator(mode="after")
    def _first_small(self) -> Outer:
        if self.items and self.items[0].size > 9:
            raise ValueError("items[0].size: expected at most 9 for the first item")
        return self


def messages(text: str) -> list[str]:
    data, root = read_yaml(text)
    with pytest.raises(ValidationError) as info:
        Outer.model_validate(data)
    return describe(info.value, "f.yaml", root, Outer).splitlines()


def test_line_key_and_expectation() -> None:
    text = "items:\n  - size: 1\n  - size: big\n    colour: red\n"
    assert messages(text) == [
        "f.yaml, line 3: key 'items[1].size': expected a valid integer, unable to parse "
        "string as an integer (got 'big')",
        "f.yaml, line 4: key 'items[1].colour': unknown key; expected one of: size",
    ]


def test_a_validator_can_name_the_key() -> None:
    assert messages("items:\n  - size: 12\n") == [
        "f.yaml, line 2: key 'items[0].size': expected at most 9 for the first item"]


def test_dates_stay_text_and_bad_yaml_is_a_value_error() -> None:
    data, root = read_yaml("when: 2025-02-30\n")
    assert data == {"when": "2025-02-30"} and line_of(root, ("when",)) == ", line 1"
    with pytest.raises(ValueError, match="not valid YAML"):
        read_yaml("a: [1,\n")
