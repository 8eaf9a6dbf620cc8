"""Custom-field writes carry the whole array as read, changed only where meant."""

from __future__ import annotations

from upsales_fortnox.integrations.upsales.custom_values import with_custom_values
from upsales_fortnox.integrations.upsales.models import CompanyDraft, CustomValue


def test_changes_replace_in_place_and_new_fields_are_appended() -> None:
    current = [
        CustomValue.model_validate({"fieldId": 1, "value": "Verkstad", "valueDate": None}),
        CustomValue(fieldId=2, value="old"),
        CustomValue(fieldId=3, value=7),
    ]
    merged = with_custom_values(
        current, [CustomValue(fieldId=2, value="new"), CustomValue(fieldId=9, value="x")]
    )
    assert [(item.fieldId, item.value) for item in merged] == [
        (1, "Verkstad"),
        (2, "new"),
        (3, 7),
        (9, "x"),
    ]
    assert CompanyDraft(custom=merged).to_wire()["custom"][0] == {
        "fieldId": 1,
        "value": "Verkstad",
        "valueDate": None,
    }
    assert [(item.fieldId, item.value) for item in current] == [(1, "Verkstad"), (2, "old"), (3, 7)]


def test_clearing_sends_an_empty_value_and_nothing_read_means_only_the_changes() -> None:
    cleared = with_custom_values(
        [CustomValue(fieldId=4, value="1001")], [CustomValue(fieldId=4, value="")]
    )
    assert [(item.fieldId, item.value) for item in cleared] == [(4, "")]
    assert with_custom_values(None, [CustomValue(fieldId=5, value="a")]) == [
        CustomValue(fieldId=5, value="a")
    ]
