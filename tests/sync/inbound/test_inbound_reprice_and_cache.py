"""Which products a new price list re-prices; how long custom field ids are reused."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.integrations.fortnox.models import Price
from upsales_fortnox.integrations.upsales.models import CustomField, Product
from upsales_fortnox.sync.context import InstallationContext
from upsales_fortnox.sync.inbound.inbound_job import FIELD_CACHE_SECONDS, CustomFieldCache
from upsales_fortnox.sync.inbound.pricing import base_price
from upsales_fortnox.sync.inbound.reprice import priced_article, target_price


def product(product_id: int, article_no: str | None) -> Product:
    return Product(id=product_id, name="P", articleNo=article_no, listPrice=Decimal(1))


PRICES: dict[str, Decimal | None] = {"A": Decimal(100), "B": Decimal("12.50")}


def test_linked_products_get_their_articles_price_or_zero() -> None:
    linked = {1: "A", 2: "C"}
    assert target_price(product(1, "whatever"), linked, PRICES) == (Decimal(100), True)
    assert target_price(product(2, "C"), linked, PRICES) == (None, False)


def test_unlinked_products_are_priced_by_article_number_only_when_the_list_has_it() -> None:
    assert target_price(product(3, " B "), {}, PRICES) == (Decimal("12.50"), True)
    assert target_price(product(4, "Z"), {}, PRICES) is None
    assert target_price(product(5, None), {}, PRICES) is None


def test_a_product_asks_for_its_linked_article_else_its_own_number() -> None:
    assert priced_article(product(1, "OWN"), {1: "LINKED"}) == "LINKED"
    assert priced_article(product(2, " b-1 "), {}) == "b-1"
    assert priced_article(product(3, None), {}) is None


def test_the_base_price_is_the_one_from_the_lowest_quantity() -> None:
    tiers = [
        Price(FromQuantity=Decimal(10), Price=Decimal(90)),
        Price(FromQuantity=Decimal(0), Price=Decimal(100)),
        Price(FromQuantity=Decimal(5), Price=None),
    ]

    assert base_price(tiers) == Decimal(100)
    assert base_price(tiers[:1]) == Decimal(90)
    assert base_price([]) is None


class FakeUpsales:
    """Counts custom field lookups; answers with the fields it holds."""

    def __init__(self) -> None:
        self.lookups = 0
        self.fields = [CustomField(id=7, alias="fortnox_customer_number")]

    async def list_custom_fields(self, entity: str) -> list[CustomField]:
        self.lookups += 1
        return list(self.fields)


async def test_custom_field_ids_are_reused_until_they_are_old() -> None:
    now = [0.0]
    cache = CustomFieldCache(clock=lambda: now[0])
    upsales = FakeUpsales()
    context: Any = InstallationContext(
        installation_id=uuid.uuid4(),
        fortnox_tenant_id=None,
        settings=SyncSettings(),
        fortnox=None,
        upsales=upsales,
    )
    assert await cache.ids(context, "account") == {"FORTNOX_CUSTOMER_NUMBER": 7}
    upsales.fields.append(CustomField(id=8, alias="FORTNOX_VAT_NUMBER"))
    now[0] = FIELD_CACHE_SECONDS - 1
    assert await cache.ids(context, "account") == {"FORTNOX_CUSTOMER_NUMBER": 7}
    assert upsales.lookups == 1
    now[0] = FIELD_CACHE_SECONDS + 1
    assert await cache.ids(context, "account") == {
        "FORTNOX_CUSTOMER_NUMBER": 7,
        "FORTNOX_VAT_NUMBER": 8,
    }
    assert upsales.lookups == 2
