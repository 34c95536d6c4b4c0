"""What counts as text a person typed, and the JSON a body may hold."""
from __future__ import annotations

import pytest

from caseapp.engine import FormFieldSpec, TaskFormSpec
from caseapp.services.administration.processes import canonical_xml
from caseapp.services.cases.task_forms import clean_fields
from caseapp.services.cases.validation import (coordinate, has_refused_characters, is_blank,
                                               text_field)
from caseapp.services.errors import ValidationFailed
from caseapp.views.api import json_text_problems, storable_text


@pytest.mark.parametrize("value", [
    "Nguyễn Văn An", "Đặng Thị Ngọc Hà", "O'Brien-Smith", "李小龍", "محمد", "👨\u200d👩\u200d👧",
    "किशोर\u200c"])
def test_typed_text_is_accepted(value):
    assert not has_refused_characters(value)


@pytest.mark.parametrize("value", [
    "An\u200bh", "\ufeffAn", "An\u2060h", "An\u202eh", "An\u202ah", "An\u2066h\u2069", "An\u00adh",
    "An\x00", "An\x07", "An\x85", "An\ud800", "An\ue000", "An\U000f0000", "An\u0378", "An\nh"])
def test_controls_formats_surrogates_private_and_unassigned_are_refused(value):
    assert has_refused_characters(value)


def test_line_breaks_and_tabs_only_in_multi_line_text():
    assert has_refused_characters("a\r\n\tb") and not has_refused_characters("a\r\n\tb", True)
    assert has_refused_characters("a\x0bb", True)


def test_blank_is_whitespace_and_joiners_only():
    assert is_blank("") and is_blank(" \u3000\u00a0\t") and is_blank("\u200d\u200c")
    assert not is_blank("\u200b") and not is_blank(" a ")


@pytest.mark.parametrize("value, error", [
    ("\u200b\u200b\u200b", ["contains invisible or control characters"]),
    ("\u200d \u200c", ["required"]), ("  ", ["required"]), (None, ["required"]),
    ("Văn\u202eAn", ["contains invisible or control characters"]),
    ("Văn\nAn", ["contains invisible or control characters"]), (42, ["must be text"])])
def test_text_field_refuses_what_nobody_types(value, error):
    errors = {}
    assert text_field({"full_name": value}, "full_name", errors) is None
    assert errors == {"full_name": error}


def test_text_field_keeps_lines_in_multi_line_fields():
    errors = {}
    assert text_field({"note": " Dòng 1\r\n\tDòng 2 "}, "note", errors) == "Dòng 1\r\n\tDòng 2"
    assert errors == {}


@pytest.mark.parametrize("value", [True, False, float("nan"), float("inf"), 10 ** 400, "1e400",
                                   "x", [1], {"a": 1}])
def test_coordinates_refuse_booleans_and_non_finite_numbers(value):
    errors = {}
    assert coordinate({"lat": value}, "lat", -90, 90, errors) is None and "lat" in errors


def test_coordinates_take_numbers_and_numeric_text():
    errors = {}
    assert coordinate({"lat": 9}, "lat", -90, 90, errors) == 9.0
    assert coordinate({"lat": "9.18"}, "lat", -90, 90, errors) == 9.18 and errors == {}


def test_generated_text_fields_follow_the_same_rules():
    form = TaskFormSpec(key="site_visit", fields=(
        FormFieldSpec(id="finding", label="Kết quả", type="string", required=True),))
    assert clean_fields(form, {"finding": "Dòng 1\nDòng 2"}) == {"finding": "Dòng 1\nDòng 2"}
    for value in ("\u200b\u200b", "xem \u202egấp", "a\x00b"):
        with pytest.raises(ValidationFailed) as caught:
            clean_fields(form, {"finding": value})
        assert caught.value.fields == {"finding": ["contains invisible or control characters"]}
    with pytest.raises(ValidationFailed) as caught:
        clean_fields(form, {"finding": "\u200d"})
    assert caught.value.fields == {"finding": ["required"]}


def test_json_text_problems_finds_nul_surrogates_and_depth():
    assert json_text_problems({"a": "ok", "b": [1, {"c": "ok"}]}) == {}
    assert json_text_problems({"a": ["x", {"k": "y\x00"}]}) == {
        "a": ["contains a NUL character or a lone surrogate"]}
    assert list(json_text_problems({"\ud800": 1})) == ["body"]
    deep = "x"
    for _ in range(25):
        deep = [deep]
    assert json_text_problems({"d": deep}) == {"d": ["nested deeper than 20 levels"]}
    assert storable_text("Nguyễn 👨") and not storable_text("\udc00") and not storable_text("\x00")


def test_canonical_xml_ignores_layout_attribute_order_and_comments():
    one = '<?xml version="1.0" encoding="UTF-8"?>\n<a xmlns="urn:x" y="1" x="2">\n  <b>t</b>\n</a>'
    two = "<a x='2' y='1' xmlns='urn:x'><!-- saved by another editor --><b>t</b></a>"
    assert canonical_xml(one) == canonical_xml(two)
    assert canonical_xml(one) != canonical_xml(two.replace(">t<", ">u<"))
    assert canonical_xml("<not xml") is None
