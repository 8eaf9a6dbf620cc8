"""Customers, articles, price lists and prices: envelopes, numbering, validation, errors."""

from __future__ import annotations

import httpx
import pytest

from ufs_sandboxes.fortnox import FortnoxSandbox


def error_code(response: httpx.Response) -> int:
    return int(response.json()["ErrorInformation"]["code"])


async def test_customer_is_created_with_next_number_and_wrapped_in_its_envelope(
    api: httpx.AsyncClient,
) -> None:
    first = await api.post("/3/customers", json={"Customer": {"Name": "Acme AB"}})
    second = await api.post("/3/customers", json={"Customer": {"Name": "Beta AB"}})

    assert first.status_code == 201
    assert first.json()["Customer"]["CustomerNumber"] == "1"
    assert first.json()["Customer"]["@url"] == "http://fortnox.test/3/customers/1"
    assert second.json()["Customer"]["CustomerNumber"] == "2"
    fetched = await api.get("/3/customers/2")
    assert fetched.status_code == 200
    assert set(fetched.json()) == {"Customer"}
    assert fetched.json()["Customer"]["Name"] == "Beta AB"


async def test_customer_list_items_are_reduced_subsets_with_url(api: httpx.AsyncClient) -> None:
    await api.post(
        "/3/customers",
        json={"Customer": {"Name": "Acme AB", "Phone1": "08-123", "Comments": "VIP"}},
    )

    body = (await api.get("/3/customers")).json()

    assert body["MetaInformation"] == {
        "@TotalResources": 1,
        "@TotalPages": 1,
        "@CurrentPage": 1,
    }
    (item,) = body["Customers"]
    assert item["@url"] == "http://fortnox.test/3/customers/1"
    assert item["Phone"] == "08-123"
    assert "Comments" not in item
    assert set(item) == {
        "@url",
        "Address1",
        "Address2",
        "City",
        "CustomerNumber",
        "Email",
        "Name",
        "OrganisationNumber",
        "Phone",
        "ZipCode",
    }


async def test_put_updates_only_the_fields_sent(api: httpx.AsyncClient) -> None:
    await api.post(
        "/3/customers", json={"Customer": {"Name": "Acme AB", "City": "Lund", "Email": "a@b.se"}}
    )

    updated = await api.put("/3/customers/1", json={"Customer": {"City": "Malmö"}})

    customer = updated.json()["Customer"]
    assert (customer["Name"], customer["City"], customer["Email"]) == ("Acme AB", "Malmö", "a@b.se")


async def test_api_blank_clears_a_field(api: httpx.AsyncClient) -> None:
    await api.post("/3/customers", json={"Customer": {"Name": "Acme AB", "City": "Lund"}})

    updated = await api.put("/3/customers/1", json={"Customer": {"City": "API_BLANK"}})

    assert updated.json()["Customer"]["City"] == ""


async def test_deleted_customer_number_is_never_reused(api: httpx.AsyncClient) -> None:
    await api.post("/3/customers", json={"Customer": {"Name": "Acme AB", "CustomerNumber": "K-1"}})

    deleted = await api.delete("/3/customers/K-1")
    again = await api.post(
        "/3/customers", json={"Customer": {"Name": "New AB", "CustomerNumber": "K-1"}}
    )

    assert deleted.status_code == 204
    assert (await api.get("/3/customers/K-1")).status_code == 404
    assert again.status_code == 400
    assert error_code(again) == 2000637


async def test_automatic_numbers_skip_numbers_taken_by_hand(api: httpx.AsyncClient) -> None:
    await api.post("/3/customers", json={"Customer": {"Name": "Manual", "CustomerNumber": "1"}})
    await api.delete("/3/customers/1")

    automatic = await api.post("/3/customers", json={"Customer": {"Name": "Auto"}})

    assert automatic.json()["Customer"]["CustomerNumber"] == "2"


async def test_a_customer_number_may_be_as_long_as_the_spec_allows(
    api: httpx.AsyncClient,
) -> None:
    number = "K-" + "7" * 1022  # fortnox_Customer.CustomerNumber: maxLength 1024

    created = await api.post(
        "/3/customers", json={"Customer": {"Name": "L", "CustomerNumber": number}}
    )
    read = await api.get(f"/3/customers/{number}")

    assert created.status_code == 201, created.text
    assert read.json()["Customer"]["CustomerNumber"] == number


async def test_unknown_customer_is_404_with_fortnox_code(api: httpx.AsyncClient) -> None:
    response = await api.get("/3/customers/404")

    assert response.status_code == 404
    assert response.json()["ErrorInformation"]["code"] == 2000433
    assert response.json()["ErrorInformation"]["error"] == 1


@pytest.mark.spec_guard_off("sends invalid customers on purpose")
@pytest.mark.parametrize(
    ("customer", "code"),
    [
        ({"Name": "x", "OurReference": "r" * 51}, 2000588),
        ({"Name": "x", "ZipCode": "12345678901"}, 2000588),
        ({"Name": "x", "CountryCode": "SWE"}, 2000588),
        ({}, 2000588),
        ({"Name": "x", "Colour": "red"}, 2001399),
        ({"Name": "x", "Active": "maybe"}, 2000134),
        ({"Name": "x", "CustomerNumber": "A B"}, 2000359),
        ({"Name": "x", "CustomerNumber": "9" * 1025}, 2000588),
        ({"Name": "x", "Email": "not-an-address"}, 2000588),
        ({"Name": "x", "Type": "ALIEN"}, 2000588),
        ({"Name": "x", "Currency": "XXX"}, 2000588),
        ({"Name": "x", "PriceList": "NOPE"}, 2000588),
    ],
)
async def test_invalid_customers_are_refused_with_error_information(
    api: httpx.AsyncClient, customer: dict[str, object], code: int
) -> None:
    response = await api.post("/3/customers", json={"Customer": customer})

    assert response.status_code == 400
    assert error_code(response) == code
    assert (await api.get("/3/customers")).json()["MetaInformation"]["@TotalResources"] == 0


async def test_longest_allowed_reference_is_accepted(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/3/customers", json={"Customer": {"Name": "x", "OurReference": "r" * 50}}
    )

    assert response.status_code == 201


@pytest.mark.spec_guard_off("sends broken bodies on purpose")
async def test_body_errors_have_their_codes(api: httpx.AsyncClient) -> None:
    syntax = await api.post(
        "/3/customers", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    unwrapped = await api.post("/3/customers", json={"Name": "no wrapper"})

    assert (syntax.status_code, error_code(syntax)) == (400, 2002115)
    assert (unwrapped.status_code, error_code(unwrapped)) == (400, 2001392)


async def test_read_only_fields_sent_by_a_client_are_ignored(api: httpx.AsyncClient) -> None:
    created = await api.post(
        "/3/articles", json={"Article": {"Description": "Widget", "SalesPrice": 999}}
    )

    assert created.status_code == 201
    assert created.json()["Article"]["SalesPrice"] == 0


async def test_article_sales_price_is_the_price_on_list_a(api: httpx.AsyncClient) -> None:
    await api.post("/3/articles", json={"Article": {"ArticleNumber": "W1", "Description": "W"}})
    await api.post("/3/pricelists", json={"PriceList": {"Code": "B", "Description": "Resellers"}})
    await api.post(
        "/3/prices", json={"Price": {"PriceList": "A", "ArticleNumber": "W1", "Price": 149.5}}
    )
    await api.post(
        "/3/prices", json={"Price": {"PriceList": "B", "ArticleNumber": "W1", "Price": 99}}
    )

    article = (await api.get("/3/articles/W1")).json()["Article"]
    listed = (await api.get("/3/articles")).json()["Articles"][0]
    assert article["SalesPrice"] == 149.5
    assert listed["SalesPrice"] == "149.50"

    await api.put("/3/prices/A/W1", json={"Price": {"Price": 120}})
    assert (await api.get("/3/articles/W1")).json()["Article"]["SalesPrice"] == 120


@pytest.mark.spec_guard_off("sends invalid articles on purpose")
async def test_article_needs_a_description_and_valid_vat(api: httpx.AsyncClient) -> None:
    missing = await api.post("/3/articles", json={"Article": {"ArticleNumber": "X"}})
    bad_vat = await api.post("/3/articles", json={"Article": {"Description": "X", "VAT": 7}})
    long_number = await api.post(
        "/3/articles", json={"Article": {"Description": "X", "ArticleNumber": "A" * 51}}
    )

    assert [missing.status_code, bad_vat.status_code, long_number.status_code] == [400, 400, 400]
    assert (await api.get("/3/articles/X")).status_code == 404
    assert error_code(await api.get("/3/articles/X")) == 2000428


async def test_price_lists_start_with_preselected_a(api: httpx.AsyncClient) -> None:
    await api.post("/3/pricelists", json={"PriceList": {"Code": "B", "Description": "Resellers"}})

    body = (await api.get("/3/pricelists")).json()

    assert [(p["Code"], p["PreSelected"]) for p in body["PriceLists"]] == [
        ("A", True),
        ("B", False),
    ]
    assert (await api.get("/3/pricelists/B")).json()["PriceList"]["Description"] == "Resellers"


async def test_prices_single_sublist_and_quantity_tiers(api: httpx.AsyncClient) -> None:
    await api.post("/3/articles", json={"Article": {"ArticleNumber": "W1", "Description": "W"}})
    for from_quantity, price in ((0, 100), (10, 90), (100, 80)):
        created = await api.post(
            "/3/prices",
            json={
                "Price": {
                    "PriceList": "A",
                    "ArticleNumber": "W1",
                    "FromQuantity": from_quantity,
                    "Price": price,
                }
            },
        )
        assert created.status_code == 201

    sublist = (await api.get("/3/prices/sublist/A/W1")).json()
    tier = (await api.get("/3/prices/A/W1/10")).json()["Price"]
    base = (await api.get("/3/prices/A/W1")).json()["Price"]

    assert [p["Price"] for p in sublist["Prices"]] == [100, 90, 80]
    assert sublist["MetaInformation"]["@TotalResources"] == 3
    assert (tier["FromQuantity"], tier["Price"]) == (10, 90)
    assert (base["FromQuantity"], base["Price"]) == (0, 100)
    assert base["@url"] == "http://fortnox.test/3/prices/A/W1/0"

    assert (await api.delete("/3/prices/A/W1/10")).status_code == 204
    assert (await api.get("/3/prices/A/W1/10")).status_code == 404


@pytest.mark.spec_guard_off("probes a path the spec lacks")
async def test_prices_of_one_article_are_listed_and_the_list_wide_path_is_not_served(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(
        tenant_id,
        pricelists=[{"Code": "B", "Description": "Resellers"}],
        articles=[{"ArticleNumber": "A0", "Description": "Art 0"}],
        prices=[
            {"PriceList": "B", "ArticleNumber": "A0", "Price": 10},
            {"PriceList": "B", "ArticleNumber": "A0", "Price": 8, "FromQuantity": 10},
            {"PriceList": "A", "ArticleNumber": "A0", "Price": 1},
        ],
    )

    listed = (await api.get("/3/prices/sublist/B/A0")).json()
    list_wide = await api.get("/3/prices/sublist/B")

    assert [(p["FromQuantity"], p["Price"]) for p in listed["Prices"]] == [(0, 10), (10, 8)]
    assert all(
        set(p) == {"@url", "ArticleNumber", "FromQuantity", "Price", "PriceList"}
        for p in listed["Prices"]
    )
    assert (list_wide.status_code, error_code(list_wide)) == (404, 2000729)


async def test_price_for_unknown_article_or_list_is_refused(api: httpx.AsyncClient) -> None:
    no_article = await api.post(
        "/3/prices", json={"Price": {"PriceList": "A", "ArticleNumber": "NOPE", "Price": 1}}
    )
    no_list = await api.get("/3/prices/sublist/NOPE/A0")

    assert (no_article.status_code, error_code(no_article)) == (400, 2001302)
    assert no_list.status_code == 404


async def test_company_information_carries_the_tenant_id(
    api: httpx.AsyncClient, tenant_id: int
) -> None:
    info = (await api.get("/3/companyinformation")).json()["CompanyInformation"]

    assert info["DatabaseNumber"] == tenant_id
    assert info["CompanyName"]
