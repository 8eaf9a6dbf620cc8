"""The guard's checks, exchange by exchange, against Fortnox's own spec."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.spec_guard.check import Violation
from tests.spec_guard.guard import Guard

API = "https://api.fortnox.test"


def sandbox_answer(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body, headers={"X-Sandbox": "fortnox"})


def exchange(
    guard: Guard,
    method: str,
    url: str,
    *,
    body: Any = None,
    answer: httpx.Response | None = None,
) -> list[Violation]:
    """Run one exchange through the guard's checks; returns what it found."""
    content = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = httpx.Request(method, f"{API}{url}", content=content, headers=headers)
    with guard.capture() as caught:
        operation = guard.check_request(request)
        if operation is not None and answer is not None:
            guard.check_response(operation, answer)
    return caught


def kinds_and_fields(found: list[Violation]) -> set[tuple[str, str, str]]:
    return {(v.operation, v.kind, v.field) for v in found}


def test_an_unknown_path_is_named_by_its_shape(spec_guard: Guard) -> None:
    found = exchange(spec_guard, "GET", "/3/prices/sublist/A")
    assert kinds_and_fields(found) == {("GET /3/prices/sublist/{}", "path", "")}
    assert "/3/prices/sublist/A" in found[0].detail


def test_a_literal_segment_is_never_taken_for_a_path_parameter(spec_guard: Guard) -> None:
    # /3/prices/{PriceList}/{ArticleNumber} would match by shape alone.
    assert exchange(spec_guard, "GET", "/3/prices/sublist/A/1001") == []
    assert exchange(spec_guard, "GET", "/3/prices/A/1001") == []
    assert [v.kind for v in exchange(spec_guard, "GET", "/3/prices/sublist/A")] == ["path"]


def test_an_encoded_slash_stays_inside_its_path_parameter(spec_guard: Guard) -> None:
    assert exchange(spec_guard, "GET", "/3/customers/A%2F1") == []


def test_a_method_the_path_does_not_have(spec_guard: Guard) -> None:
    found = exchange(spec_guard, "DELETE", "/3/invoices/5")
    assert kinds_and_fields(found) == {("DELETE /3/invoices/{DocumentNumber}", "method", "")}
    assert "GET" in found[0].detail and "PUT" in found[0].detail


def test_traffic_outside_fortnox_api_bases_is_not_checked(spec_guard: Guard) -> None:
    for url in ("/oauth-v1/token", "/api/v2/orders", "/_sandbox/tenants", "/healthz"):
        assert exchange(spec_guard, "GET", url) == []


def test_an_undeclared_query_parameter(spec_guard: Guard) -> None:
    found = exchange(spec_guard, "GET", "/3/offers?customernumber=7&colour=red")
    assert kinds_and_fields(found) == {("GET /3/offers", "query", "colour")}


def test_paging_parameters_are_allowed_everywhere(spec_guard: Guard) -> None:
    url = "/3/offers?limit=500&page=2&offset=0&sortorder=descending&sortby=id"
    assert exchange(spec_guard, "GET", url) == []


def test_an_enum_parameter_outside_its_values(spec_guard: Guard) -> None:
    found = exchange(spec_guard, "GET", "/3/offers?sortby=documentnumber&filter=cancelled")
    assert kinds_and_fields(found) == {("GET /3/offers", "enum", "sortby")}
    assert "'documentnumber' is not one of customerName, id, transactionDate, total" in str(
        found[0]
    )


def test_a_query_value_of_the_wrong_type(spec_guard: Guard) -> None:
    found = exchange(spec_guard, "GET", "/3/offers?sent=maybe")
    assert kinds_and_fields(found) == {("GET /3/offers", "query-type", "sent")}
    assert exchange(spec_guard, "GET", "/3/offers?sent=true") == []


def test_a_body_field_of_the_wrong_type(spec_guard: Guard) -> None:
    body = {"Order": {"CustomerNumber": "1", "OrderRows": [{"OrderedQuantity": 3}]}}
    found = exchange(spec_guard, "POST", "/3/orders", body=body)
    assert kinds_and_fields(found) == {
        ("POST /3/orders", "request-body", "Order.OrderRows[].OrderedQuantity")
    }
    assert "3 (int) where the spec types string" in found[0].detail
    body["Order"]["OrderRows"] = [{"OrderedQuantity": "3"}]
    assert exchange(spec_guard, "POST", "/3/orders", body=body) == []


def test_a_body_field_the_request_schema_lacks_is_refused(spec_guard: Guard) -> None:
    # Booked is a field of the invoice, not of the invoice payload: read-only.
    body = {"Invoice": {"CustomerNumber": "1", "Booked": False}}
    found = exchange(spec_guard, "POST", "/3/invoices", body=body)
    assert kinds_and_fields(found) == {("POST /3/invoices", "request-body", "Invoice.Booked")}


def test_a_body_that_is_not_json(spec_guard: Guard) -> None:
    request = httpx.Request("POST", f"{API}/3/customers", content=b"<Customer/>")
    with spec_guard.capture() as found:
        spec_guard.check_request(request)
    assert kinds_and_fields(found) == {("POST /3/customers", "request-body", "")}


def test_an_update_may_leave_out_required_fields(spec_guard: Guard) -> None:
    body = {"Order": {"Comments": "changed"}}
    assert exchange(spec_guard, "PUT", "/3/orders/12", body=body) == []
    found = exchange(spec_guard, "POST", "/3/orders", body=body)
    assert kinds_and_fields(found) == {("POST /3/orders", "request-body", "Order.CustomerNumber")}


def test_a_body_where_the_operation_takes_none(spec_guard: Guard) -> None:
    found = exchange(spec_guard, "PUT", "/3/invoices/5/bookkeep", body={"Invoice": {}})
    assert kinds_and_fields(found) == {
        ("PUT /3/invoices/{DocumentNumber}/bookkeep", "request-body", "")
    }


def test_a_bad_sandbox_answer_names_each_field(spec_guard: Guard) -> None:
    answer = sandbox_answer(
        200,
        {"Invoice": {"CustomerNumber": "1", "DocumentNumber": 5, "Comments": None}},
    )
    found = exchange(spec_guard, "GET", "/3/invoices/5", answer=answer)
    assert kinds_and_fields(found) == {
        ("GET /3/invoices/{DocumentNumber}", "response-body", "Invoice.DocumentNumber"),
        ("GET /3/invoices/{DocumentNumber}", "response-body", "Invoice.Comments"),
    }
    assert "null" in next(v for v in found if v.field == "Invoice.Comments").detail


def test_a_good_sandbox_answer_passes(spec_guard: Guard) -> None:
    answer = sandbox_answer(200, {"Invoice": {"CustomerNumber": "1", "DocumentNumber": "5"}})
    assert exchange(spec_guard, "GET", "/3/invoices/5", answer=answer) == []


def test_an_error_answer_is_checked_against_the_error_schema(spec_guard: Guard) -> None:
    good = sandbox_answer(
        404, {"ErrorInformation": {"Error": 1, "Message": "Kan inte hitta", "Code": 2000433}}
    )
    assert exchange(spec_guard, "GET", "/3/invoices/5", answer=good) == []
    bad = sandbox_answer(404, {"ErrorInformation": {"Code": "2000433"}})
    found = exchange(spec_guard, "GET", "/3/invoices/5", answer=bad)
    assert kinds_and_fields(found) == {
        ("GET /3/invoices/{DocumentNumber}", "response-body", "ErrorInformation.Code")
    }


def test_an_undeclared_success_status(spec_guard: Guard) -> None:
    answer = sandbox_answer(200, {"Invoice": {"CustomerNumber": "1"}})
    found = exchange(spec_guard, "POST", "/3/invoices", body={"Invoice": {}}, answer=answer)
    assert ("POST /3/invoices", "response-status", "200") in kinds_and_fields(found)


def test_a_hand_made_answer_is_checked_only_when_asked(spec_guard: Guard) -> None:
    answer = httpx.Response(200, json={"Invoice": {"CustomerNumber": "1", "DocumentNumber": 5}})
    assert exchange(spec_guard, "GET", "/3/invoices/5", answer=answer) == []
    spec_guard.check_hand_made = True
    try:
        found = exchange(spec_guard, "GET", "/3/invoices/5", answer=answer)
    finally:
        spec_guard.check_hand_made = False
    assert kinds_and_fields(found) == {
        ("GET /3/invoices/{DocumentNumber}", "hand-made-response-body", "Invoice.DocumentNumber")
    }


@pytest.mark.parametrize("path", ["/api/warehouse/tenants-v4", "/api/time/articles-v1"])
def test_the_other_api_bases_of_the_spec_are_checked(spec_guard: Guard, path: str) -> None:
    assert exchange(spec_guard, "GET", path) == []
    assert [v.kind for v in exchange(spec_guard, "GET", path + "/nothing/here")] == ["path"]
