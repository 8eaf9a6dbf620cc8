"""List endpoints: paging, lastmodified, filter, field search, sorting and parameter rules."""

from __future__ import annotations

import httpx
import pytest

from ufs_sandboxes.fortnox import FortnoxSandbox, ManualClock

# ManualClock(1_700_000_000) is 2023-11-14 23:13:20 in Stockholm (UTC+1).


async def customer_numbers(api: httpx.AsyncClient, **params: str | int) -> list[str]:
    response = await api.get("/3/customers", params=params)
    assert response.status_code == 200, response.text
    return [c["CustomerNumber"] for c in response.json()["Customers"]]


@pytest.fixture
def seeded(sandbox: FortnoxSandbox, tenant_id: int) -> None:
    sandbox.seed(
        tenant_id,
        customers=[{"Name": f"Customer {n:03d}", "City": "Lund"} for n in range(1, 251)],
    )


@pytest.mark.usefixtures("seeded")
async def test_default_page_is_100_items_with_meta(api: httpx.AsyncClient) -> None:
    body = (await api.get("/3/customers")).json()

    assert len(body["Customers"]) == 100
    assert body["MetaInformation"] == {
        "@TotalResources": 250,
        "@TotalPages": 3,
        "@CurrentPage": 1,
    }


@pytest.mark.usefixtures("seeded")
async def test_pages_follow_each_other_without_gaps(api: httpx.AsyncClient) -> None:
    pages = [await customer_numbers(api, limit=100, page=page) for page in (1, 2, 3)]

    assert [len(p) for p in pages] == [100, 100, 50]
    assert [n for page in pages for n in page] == [str(n) for n in range(1, 251)]
    assert await customer_numbers(api, limit=100, page=4) == []


@pytest.mark.usefixtures("seeded")
async def test_a_tenant_may_refuse_a_page_past_the_last(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    """The other answer to a page after the last, for clients to be tried on."""
    sandbox.tenant(tenant_id).refuses_pages_past_the_last = True

    assert len(await customer_numbers(api, limit=100, page=3)) == 50
    response = await api.get("/3/customers", params={"limit": 100, "page": 4})
    assert response.status_code == 400
    assert response.json()["ErrorInformation"]["code"] == 2000588


async def order_numbers(api: httpx.AsyncClient, **params: str | int) -> list[str]:
    response = await api.get("/3/orders", params=params)
    assert response.status_code == 200, response.text
    return [str(o["DocumentNumber"]) for o in response.json()["Orders"]]


async def test_a_tenant_may_list_unsorted_entities_last_changed_first(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int, clock: ManualClock
) -> None:
    """Another answer to the order of a list without ``sortby`` where the spec documents none
    (orders), for clients to be tried on."""
    sandbox.seed(
        tenant_id,
        customers=[{"CustomerNumber": "1", "Name": "Kund"}],
        orders=[{"CustomerNumber": "1", "OrderRows": []} for _ in range(3)],
    )
    assert await order_numbers(api) == ["1", "2", "3"]
    sandbox.tenant(tenant_id).lists_unsorted_last_changed_first = True
    clock.advance(60)

    response = await api.put("/3/orders/2", json={"Order": {"Remarks": "Ändrad"}})
    assert response.status_code == 200, response.text

    assert await order_numbers(api) == ["2", "3", "1"]
    assert await order_numbers(api, sortby="documentnumber") == ["1", "2", "3"]


@pytest.mark.parametrize("last_changed_first", [False, True])
async def test_customers_and_articles_come_lowest_number_first_without_sortby(
    api: httpx.AsyncClient,
    sandbox: FortnoxSandbox,
    tenant_id: int,
    clock: ManualClock,
    last_changed_first: bool,
) -> None:
    """The spec's ``GET /3/customers`` and ``GET /3/articles``: "returned sorted by customer
    (article) number with the lowest number appearing first", whatever the creation order,
    and a change does not move one."""
    sandbox.seed(
        tenant_id,
        customers=[{"CustomerNumber": n, "Name": f"Kund {n}"} for n in ("30", "5", "100")],
        articles=[{"ArticleNumber": n, "Description": f"Artikel {n}"} for n in ("30", "5", "100")],
    )
    sandbox.tenant(tenant_id).lists_unsorted_last_changed_first = last_changed_first
    clock.advance(60)
    changed = await api.put("/3/customers/30", json={"Customer": {"City": "Lund"}})
    assert changed.status_code == 200, changed.text

    assert await customer_numbers(api) == ["5", "30", "100"]
    assert await customer_numbers(api, limit=2, page=2) == ["100"]
    articles = (await api.get("/3/articles")).json()["Articles"]
    assert [a["ArticleNumber"] for a in articles] == ["5", "30", "100"]


@pytest.mark.usefixtures("seeded")
async def test_limit_up_to_500_and_offset(api: httpx.AsyncClient) -> None:
    assert len(await customer_numbers(api, limit=500)) == 250
    assert (await customer_numbers(api, limit=3, offset=10)) == ["11", "12", "13"]


@pytest.mark.parametrize("params", [{"limit": 501}, {"limit": 0}, {"page": 0}, {"limit": "x"}])
async def test_out_of_range_paging_is_refused(
    api: httpx.AsyncClient, params: dict[str, str | int]
) -> None:
    response = await api.get("/3/customers", params=params)

    assert response.status_code == 400
    assert response.json()["ErrorInformation"]["code"] == 2000588


@pytest.mark.spec_guard_off("sends upper-case parameter names on purpose")
async def test_parameter_names_must_be_lower_case(api: httpx.AsyncClient) -> None:
    response = await api.get("/3/customers", params={"Limit": 5})

    assert response.status_code == 400
    assert response.json()["ErrorInformation"]["code"] == 2000588


@pytest.mark.parametrize("pattern", ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
async def test_lastmodified_keeps_entities_changed_since(
    api: httpx.AsyncClient,
    sandbox: FortnoxSandbox,
    tenant_id: int,
    clock: ManualClock,
    pattern: str,
) -> None:
    sandbox.seed(tenant_id, customers=[{"Name": "Old"}, {"Name": "Touched later"}])
    clock.advance(1200)  # 23:33:20 (the access token lives an hour)
    await api.put("/3/customers/2", json={"Customer": {"City": "Umeå"}})
    clock.advance(60)
    await api.post("/3/customers", json={"Customer": {"Name": "New"}})

    since = "2023-11-14 23:33" if "%S" not in pattern else "2023-11-14 23:33:20"
    assert await customer_numbers(api, lastmodified=since) == ["2", "3"]
    assert await customer_numbers(api, lastmodified="2023-11-14 23:34") == ["3"]
    assert await customer_numbers(api, lastmodified="2023-11-14 00:00") == ["1", "2", "3"]


async def test_lastmodified_may_be_a_date_alone(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int, clock: ManualClock
) -> None:
    """Fortnox's parameters guide shows ``lastmodified=2021-06-01``: a date means its midnight."""
    sandbox.seed(tenant_id, customers=[{"Name": "Before midnight"}])
    clock.advance(2820)  # 2023-11-15 00:00:20 Stockholm (the access token lives an hour)
    await api.post("/3/customers", json={"Customer": {"Name": "After midnight"}})

    assert await customer_numbers(api, lastmodified="2023-11-15") == ["2"]
    assert await customer_numbers(api, lastmodified="2023-11-14") == ["1", "2"]


async def test_bad_lastmodified_is_refused(api: httpx.AsyncClient) -> None:
    response = await api.get("/3/customers", params={"lastmodified": "yesterday"})

    assert response.status_code == 400


@pytest.mark.spec_guard_off("sends an unknown filter on purpose")
async def test_filter_active_and_inactive(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(
        tenant_id, customers=[{"Name": "On"}, {"Name": "Off", "Active": False}, {"Name": "On 2"}]
    )

    assert await customer_numbers(api, filter="active") == ["1", "3"]
    assert await customer_numbers(api, filter="inactive") == ["2"]
    assert (await api.get("/3/customers", params={"filter": "sleeping"})).status_code == 400


async def test_field_search_is_a_case_insensitive_substring(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(
        tenant_id,
        customers=[
            {"Name": "Acme Sverige AB", "OrganisationNumber": "556677-8899"},
            {"Name": "Beta AB", "OrganisationNumber": "556000-0001"},
            {"Name": "ACME Norge AS"},
        ],
    )

    assert await customer_numbers(api, name="acme") == ["1", "3"]
    assert await customer_numbers(api, name="beta") == ["2"]
    assert await customer_numbers(api, organisationnumber="556677") == ["1"]
    both = await api.get("/3/customers", params={"name": "a", "organisationnumber": "5"})
    assert both.status_code == 400


async def test_search_combines_with_lastmodified(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int, clock: ManualClock
) -> None:
    sandbox.seed(tenant_id, customers=[{"Name": "Acme Old"}])
    clock.advance(1800)
    sandbox.seed(tenant_id, customers=[{"Name": "Acme New"}, {"Name": "Other New"}])

    numbers = await customer_numbers(api, name="acme", lastmodified="2023-11-14 23:30")

    assert numbers == ["2"]


@pytest.mark.spec_guard_off("sends an unknown sort key on purpose")
async def test_sorting(api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int) -> None:
    sandbox.seed(
        tenant_id,
        customers=[
            {"Name": "Cesar", "CustomerNumber": "10"},
            {"Name": "Adam", "CustomerNumber": "2"},
            {"Name": "Bertil", "CustomerNumber": "1"},
        ],
    )

    assert await customer_numbers(api, sortby="customernumber") == ["1", "2", "10"]
    assert await customer_numbers(api, sortby="name", sortorder="descending") == ["10", "1", "2"]
    assert (await api.get("/3/customers", params={"sortby": "shoe"})).status_code == 400


async def test_document_filters_and_dates(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(
        tenant_id,
        customers=[{"Name": "Acme"}],
        invoices=[
            {"CustomerNumber": "1", "InvoiceDate": "2023-10-01", "DueDate": "2023-10-31"},
            {"CustomerNumber": "1", "InvoiceDate": "2023-11-01", "Cancelled": True},
            {"CustomerNumber": "1", "InvoiceDate": "2023-11-10", "Booked": True},
        ],
    )

    # without rows these invoices total 0, so nothing is left to pay on them
    async def numbers(**params: str | int) -> list[int]:
        body = (await api.get("/3/invoices", params=params)).json()
        return [i["DocumentNumber"] for i in body["Invoices"]]

    assert await numbers(filter="cancelled") == ["2"]
    assert await numbers(filter="unbooked") == ["1"]
    assert await numbers(filter="fullypaid") == ["1", "3"]
    assert await numbers(fromdate="2023-11-01") == ["2", "3"]
    assert await numbers(fromdate="2023-10-15", todate="2023-11-05") == ["2"]
    assert await numbers(sortby="invoicedate", sortorder="descending") == ["3", "2", "1"]


async def test_unpaid_and_overdue_invoices(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    row = {"DeliveredQuantity": "1", "Price": 100}
    sandbox.seed(
        tenant_id,
        customers=[{"Name": "Acme"}],
        invoices=[
            {"CustomerNumber": "1", "InvoiceDate": "2023-09-01", "InvoiceRows": [row]},
            {"CustomerNumber": "1", "InvoiceRows": [row]},
        ],
    )

    overdue = (await api.get("/3/invoices", params={"filter": "unpaidoverdue"})).json()
    unpaid = (await api.get("/3/invoices", params={"filter": "unpaid"})).json()

    assert [i["DocumentNumber"] for i in overdue["Invoices"]] == ["1"]
    assert [i["DocumentNumber"] for i in unpaid["Invoices"]] == ["1", "2"]
    assert overdue["Invoices"][0]["Balance"] == 125


async def test_order_search_by_external_reference(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(
        tenant_id,
        customers=[{"Name": "Acme"}],
        orders=[
            {"CustomerNumber": "1", "ExternalInvoiceReference1": "upsales-order-17"},
            {"CustomerNumber": "1", "ExternalInvoiceReference1": "upsales-order-18"},
        ],
    )

    body = (
        await api.get("/3/orders", params={"externalinvoicereference1": "upsales-order-18"})
    ).json()

    assert [o["DocumentNumber"] for o in body["Orders"]] == ["2"]
    assert body["Orders"][0]["ExternalInvoiceReference1"] == "upsales-order-18"


@pytest.mark.spec_guard_off("sends undeclared parameters on purpose")
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/3/customers", {"customername": "acme"}),
        ("/3/customers", {"financialyear": "1"}),
        ("/3/customers", {"filter": "cancelled"}),
        ("/3/customers", {"sortby": "Name"}),
        ("/3/customers", {"sortorder": "up"}),
        ("/3/articles", {"sortby": "description"}),
        ("/3/offers", {"sortby": "documentnumber"}),
        ("/3/orders", {"yourordernumber": "PO-1"}),
        ("/3/pricelists", {"lastmodified": "2023-11-14 00:00"}),
        ("/3/pricelists", {"code": "A"}),
        ("/3/customers/1", {"limit": "10"}),
        ("/3/companyinformation", {"page": "1"}),
    ],
)
async def test_parameters_the_spec_does_not_declare_are_refused(
    api: httpx.AsyncClient,
    sandbox: FortnoxSandbox,
    tenant_id: int,
    path: str,
    params: dict[str, str],
) -> None:
    sandbox.seed(tenant_id, customers=[{"Name": "Acme"}])

    response = await api.get(path, params=params)

    assert response.status_code == 400, response.text
    assert response.json()["ErrorInformation"]["code"] == 2000588


async def test_declared_sort_keys_of_offers(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(
        tenant_id,
        customers=[{"Name": "Beta"}, {"Name": "Acme"}],
        offers=[{"CustomerNumber": "1"}, {"CustomerNumber": "2"}, {"CustomerNumber": "1"}],
    )

    async def numbers(**params: str) -> list[str]:
        response = await api.get("/3/offers", params=params)
        assert response.status_code == 200, response.text
        return [offer["DocumentNumber"] for offer in response.json()["Offers"]]

    assert await numbers(sortby="id", sortorder="descending") == ["3", "2", "1"]
    assert await numbers(sortby="customerName") == ["2", "1", "3"]
