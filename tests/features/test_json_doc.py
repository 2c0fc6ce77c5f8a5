"""The feature vector's JSON document: the same document on both backends, from typed values."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from edupulse.features.scratch import create_json_types, drop_types, scratch_space
from edupulse.features.sqlfuncs import json_doc, json_types


def _doc() -> json_doc:
    f, i = sa.Float(), sa.Integer()

    def num(x: float) -> sa.ColumnElement[float]:  # a float on both sides of the sum
        return sa.cast(sa.literal(x), f)

    return json_doc({
        "rates": [num(0.1) + num(0.2), sa.null().cast(f), num(2.0)],
        "counts": [sa.literal(7, i), sa.literal(0, i)],
        "meta": {"weeks": sa.literal(3, i), "quality": num(1 / 3),
                 "missing": sa.null().cast(f)},
    }, name="ep_test_doc")


def test_a_document_has_the_same_values_on_both_backends(engine: sa.Engine) -> None:
    q = sa.select(_doc())
    with engine.begin() as conn, scratch_space(conn):
        made = create_json_types(conn, q)
        raw = conn.execute(q).scalar_one()
        drop_types(conn, made)
    doc = raw if isinstance(raw, dict) else json.loads(raw)
    assert doc["counts"] == [7, 0]
    assert doc["rates"][1] is None and doc["rates"][2] == 2
    assert doc["meta"]["weeks"] == 3 and doc["meta"]["missing"] is None
    # the shortest text that reads back as the same float (SQLite prints 15 digits)
    tolerance = 0 if engine.dialect.name == "postgresql" else 1e-15
    assert abs(doc["rates"][0] - (0.1 + 0.2)) <= tolerance
    assert abs(doc["meta"]["quality"] - 1 / 3) <= tolerance
    assert made == (("ep_test_doc_meta", "ep_test_doc") if engine.dialect.name == "postgresql"
                    else ())


def test_row_types_follow_the_document_nested_objects_first() -> None:
    assert json_types(_doc()) == [
        ("ep_test_doc_meta", "weeks int8, quality float8, missing float8"),
        ("ep_test_doc", "rates float8[], counts int8[], meta ep_test_doc_meta"),
    ]


def test_an_array_mixing_integers_and_floats_is_refused() -> None:
    doc = json_doc({"xs": [sa.literal(1, sa.Integer()), sa.literal(0.5, sa.Float())]})
    with pytest.raises(ValueError, match="ep_json_xs: a JSON array's values must share one SQL"):
        json_types(doc)


def test_a_text_value_is_refused() -> None:
    doc = json_doc({"name": sa.literal("x", sa.String())})
    with pytest.raises(TypeError, match="JSON values must be integer or float expressions"):
        json_types(doc)


def test_keys_must_be_identifiers() -> None:
    with pytest.raises(ValueError, match="must be a lower-case identifier"):
        json_types(json_doc({"a b": sa.literal(1, sa.Integer())}))
