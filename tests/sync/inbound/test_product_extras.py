"""The rules shared by the article sync, the initial import and the refresh of the linked
products for stock levels and prices per currency."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

from upsales_fortnox.domain.initial_progress import PhaseProgress
from upsales_fortnox.domain.sync_commands import SaveLink
from upsales_fortnox.integrations.fortnox.errors import FortnoxAuthError
from upsales_fortnox.integrations.fortnox.models import Article, Price
from upsales_fortnox.sync.effects.link_sinks import HeldLinks
from upsales_fortnox.sync.inbound.article_reads import lists_to_read
from upsales_fortnox.sync.inbound.currency_prices import prices_by_currency
from upsales_fortnox.sync.inbound.product_extras import ProductExtras
from upsales_fortnox.sync.inbound.stock_sync import ARTICLE, StockReader, WarehouseMemory
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

D = Decimal
EUR_NOK = (("EUR", "EURO"), ("NOK", "NORGE"))


def _price(code: str, quantity: int, price: str | None) -> Price:
    return Price(
        PriceList=code,
        ArticleNumber="A1",
        FromQuantity=D(quantity),
        Price=D(price) if price is not None else None,
    )


def test_each_currency_takes_the_base_price_of_its_list_and_one_without_is_left_out() -> None:
    read = {
        "EURO": [_price("EURO", 10, "90"), _price("EURO", 0, "99.50")],
        "NORGE": [],  # the list has no price for the article
    }
    lists = (*EUR_NOK, ("USD", "DOLLAR"))  # DOLLAR not read at all
    assert prices_by_currency(lists, read) == {"EUR": D("99.50")}


def test_two_currencies_of_one_list_share_its_price() -> None:
    read = {"EURO": [_price("EURO", 5, "10"), _price("EURO", 2, "12")]}
    lists = (("EUR", "EURO"), ("XEU", "EURO"))
    assert prices_by_currency(lists, read) == {"EUR": D(12), "XEU": D(12)}  # lowest quantity


def test_the_lists_read_are_the_chosen_one_then_the_currencies_each_once() -> None:
    extras = ProductExtras(False, (("EUR", "EURO"), ("NOK", "A"), ("XEU", "EURO")))
    assert lists_to_read("A", extras) == ["A", "EURO"]
    assert lists_to_read(None, extras) == ["EURO", "A"]
    assert lists_to_read(None, ProductExtras(stock=True)) == []


def test_the_writes_of_a_phase_are_counted_and_survive_a_checkpoint() -> None:
    progress = PhaseProgress()
    for kind, result in [("stock", "written"), ("stock", "written"), ("stock", "no_field")]:
        progress.count_write(kind, result)
    progress.count_write("currency_prices", "failed")

    again = PhaseProgress.from_payload(progress.to_payload())

    assert again.writes == {
        "stock": {"written": 2, "no_field": 1},
        "currency_prices": {"failed": 1},
    }
    assert PhaseProgress.from_payload({"done": 3}).writes == {}  # a checkpoint from before


class _Links:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    async def save(self, link: SaveLink) -> None:
        self.calls.append(("save", link.fortnox_id))

    async def remove(self, fortnox_type: FortnoxType, fortnox_id: str) -> None:
        self.calls.append(("remove", fortnox_id))


async def test_held_links_reach_the_sink_only_when_released_and_once() -> None:
    sink = _Links()
    held = HeldLinks(sink)
    await held.save(SaveLink(LinkEntity.PRODUCT, 7, FortnoxType.ARTICLE, "A1", None))
    await held.remove(FortnoxType.ARTICLE, "A0")
    assert sink.calls == []

    await held.release()
    await held.release()

    assert sink.calls == [("remove", "A0"), ("save", "A1")]


class _NoWarehouse:
    """A Fortnox company without Fortnox Lager, slow to answer, counting the probes."""

    def __init__(self) -> None:
        self.calls = 0

    async def stock_balance(self, article_number: str) -> Any:
        self.calls += 1
        await asyncio.sleep(0)  # the other reads get their turn meanwhile
        raise FortnoxAuthError("Fortnox Lager är inte aktiverat")


async def test_reads_made_at_once_probe_for_fortnox_lager_once() -> None:
    fortnox = _NoWarehouse()
    reader = StockReader(fortnox, uuid.uuid4(), WarehouseMemory())  # type: ignore[arg-type]
    articles = [Article(ArticleNumber=f"A{n}", QuantityInStock=D(n)) for n in range(6)]

    levels = await asyncio.gather(*(reader.level(article) for article in articles))

    assert fortnox.calls == 1
    assert [(level.in_stock, source) for level, source in levels] == [
        (D(n), ARTICLE) for n in range(6)
    ]
