"""A small, realistic Swedish Upsales customer for demos and end-to-end tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ufs_sandboxes.upsales.sandbox import UpsalesSandbox

FORTNOX_CUSTOMER_NUMBER_ALIAS = "FORTNOX_CUSTOMER_NUMBER"
FORTNOX_DOCUMENT_ALIAS = "FORTNOX_DOCUMENT"


@dataclass(frozen=True)
class DemoUpsalesSeed:
    customer_id: int
    api_key: str
    api_user_id: int
    admin_user_id: int
    sales_rep_user_ids: tuple[int, int]
    stage_contact_id: int
    stage_offer_id: int
    stage_won_id: int
    stage_lost_id: int
    price_list_id: int
    product_category_id: int
    account_ids: tuple[int, ...]
    product_ids_by_article_no: dict[str, int]
    account_fortnox_customer_number_field_id: int
    order_fortnox_document_field_id: int
    opportunity_id: int


def seed_demo_upsales(sandbox: UpsalesSandbox, name: str = "Demo Konsult AB") -> DemoUpsalesSeed:
    """Create a demo Upsales customer: three users, four stages, two companies, products,
    the Fortnox custom fields and one open opportunity."""
    customer = sandbox.create_customer(name)
    seeded = sandbox.seed_many(
        customer.id,
        {
            "users": [
                {"name": "Anna Administratör", "email": "anna@demokonsult.se", "administrator": 1},
                {"name": "Erik Säljare", "email": "erik@demokonsult.se", "userTitle": "Säljare"},
                {"name": "Sara Lind", "email": "sara@demokonsult.se", "userTitle": "Säljare"},
            ],
            "currencies": [{"iso": "EUR", "rate": "0.087"}],
            "orderstages": [
                {"name": "Kontakt", "probability": 10},
                {"name": "Offert", "probability": 50},
                {"name": "Vunnen order", "probability": 100},
                {"name": "Förlorad", "probability": 0},
            ],
            "productCategories": [{"name": "Tjänster"}],
            "priceLists": [{"name": "Standard", "code": "standard", "isDefault": True}],
            "customfields/account": [
                {
                    "name": "Fortnox kundnummer",
                    "alias": FORTNOX_CUSTOMER_NUMBER_ALIAS,
                    "datatype": "String",
                }
            ],
            "customfields/order": [
                {"name": "Fortnox dokument", "alias": FORTNOX_DOCUMENT_ALIAS, "datatype": "String"}
            ],
        },
    )
    admin_id, erik_id, sara_id = seeded["users"]
    contact_stage, offer_stage, won_stage, lost_stage = seeded["orderstages"]
    (category_id,) = seeded["productCategories"]
    products: list[dict[str, Any]] = [
        {"name": "Konsulttimme", "articleNo": "KONS-1", "listPrice": 1250, "purchaseCost": 600},
        {"name": "Licens Bas", "articleNo": "LIC-BAS", "listPrice": 4900, "purchaseCost": 1200},
        {
            "name": "Utbildningsdag",
            "articleNo": "UTB-DAG",
            "listPrice": "9500.00",
            "purchaseCost": 3000,
        },
    ]
    for product in products:
        product["category"] = {"id": category_id}
    product_ids = sandbox.seed(customer.id, "products", products)
    account_ids = sandbox.seed(
        customer.id,
        "accounts",
        [
            {
                "name": "Nordisk Verkstad AB",
                "orgNo": "556677-8899",
                "phone": "031-123 45 60",
                "webpage": "https://nordiskverkstad.se",
                "users": [{"id": erik_id}],
                "addresses": [
                    {
                        "type": "Visit",
                        "address": "Hamngatan 12",
                        "zipcode": "411 14",
                        "city": "Göteborg",
                        "country": "SE",
                    },
                    {
                        "type": "Mail",
                        "address": "Box 220",
                        "zipcode": "401 23",
                        "city": "Göteborg",
                        "country": "SE",
                    },
                ],
            },
            {
                "name": "Fjällbacka Fisk & Skaldjur AB",
                "orgNo": "559123-4567",
                "phone": "0525-310 00",
                "users": [{"id": sara_id}],
                "addresses": [
                    {
                        "type": "Visit",
                        "address": "Ingrid Bergmans torg 3",
                        "zipcode": "457 40",
                        "city": "Fjällbacka",
                        "country": "SE",
                    }
                ],
            },
        ],
    )
    (opportunity_id,) = sandbox.seed(
        customer.id,
        "orders",
        [
            {
                "description": "Införande av Licens Bas",
                "date": "2024-05-02",
                "user": {"id": erik_id},
                "client": {"id": account_ids[0]},
                "stage": {"id": offer_stage},
                "probability": 50,
                "orderRow": [
                    {
                        "product": {"id": product_ids[1]},
                        "quantity": 2,
                        "listPrice": 4900,
                        "price": 4410,
                    },
                    {
                        "product": {"id": product_ids[0]},
                        "quantity": 8,
                        "listPrice": 1250,
                        "price": 1250,
                    },
                ],
            }
        ],
    )
    return DemoUpsalesSeed(
        customer_id=customer.id,
        api_key=customer.api_key,
        api_user_id=customer.user_id,
        admin_user_id=admin_id,
        sales_rep_user_ids=(erik_id, sara_id),
        stage_contact_id=contact_stage,
        stage_offer_id=offer_stage,
        stage_won_id=won_stage,
        stage_lost_id=lost_stage,
        price_list_id=seeded["priceLists"][0],
        product_category_id=category_id,
        account_ids=tuple(account_ids),
        product_ids_by_article_no={
            p["articleNo"]: i for p, i in zip(products, product_ids, strict=True)
        },
        account_fortnox_customer_number_field_id=seeded["customfields/account"][0],
        order_fortnox_document_field_id=seeded["customfields/order"][0],
        opportunity_id=opportunity_id,
    )
