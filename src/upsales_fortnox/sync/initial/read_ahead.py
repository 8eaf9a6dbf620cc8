"""Reading a phase's pages ahead of the import that takes them.

The import is bound by Fortnox's budget wherever an item costs a read of its own: a document
(list items carry no rows), an article's prices in the chosen price list and in those of the
currencies (``currencyPriceLists``), its stock in Fortnox Lager (``stockLevels``).
:class:`PageReadAhead` keeps that budget busy without gaps: it lists the phase's pages in order,
looks up which of their items are linked already (those are never read), and reads the others, a
few at a time, holding at most ``max_pages`` pages that the import has not taken yet. The import
takes each page, once it is read whole, instead of asking Fortnox again, so no call is made
twice, and does its Upsales work while the next pages are read. The read-aheads start with the
run (see :mod:`.importer`): while customers are imported through Upsales, Fortnox would
otherwise sit idle.

It only reads: a crash loses the reads, nothing else. What the import does with an item is
decided as before, at its page, from the links and Upsales records of that moment (an item
linked in between is simply not used). A read or lookup that fails stops the read-ahead
quietly; the import reads what is missing itself and meets the failure there, if it lasts.

Reading ahead moves reads earlier, by as long as the phases before take: an article's prices and
stock are those it had then (a change afterwards reaches Upsales as any later change does), and
an article deactivated between the listing of two of its pages moves the later pages up by one,
so one article can be missed at that boundary, as between any two pages of a listing (the
article's next change, or the next initial sync, imports it).

Memory: the items of the pages held. A parsed invoice with a few rows takes about 10 KB, so
two pages of 500 take about 10 MB; an article's prices take far less.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar

from upsales_fortnox.domain.inbound.document_changes import FortnoxDocument
from upsales_fortnox.domain.initial_phases import (
    LIST_FILTERS,
    PHASE_MODELS,
    SORT_KEYS,
    Phase,
    entity_id,
)
from upsales_fortnox.integrations.fortnox.listing import ListPage
from upsales_fortnox.integrations.fortnox.models import Article, Entity, Invoice, Offer
from upsales_fortnox.integrations.pacing import read_ahead_of_need
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.sync.inbound.article_reads import ArticleReader, ArticleReads

logger = logging.getLogger(__name__)

READ_AHEAD_PAGES: Final = 2
"""Document pages read (or being read) and not yet taken, at most."""
PRICE_PAGES_AHEAD: Final = 4
"""Article pages whose prices (and stock) are read (or being read) and not yet taken, at most:
a page of 500 articles with their prices takes a few MB, and four cover a typical register
while the customers import."""
READ_AHEAD_CONCURRENCY: Final = 4
"""Reads in flight at once: enough to keep Fortnox's budget busy, few enough to leave the
import its share of the event loop and the connection pool."""

T = TypeVar("T")

LinkedLookup = Callable[[Phase, list[str]], Awaitable[dict[str, int]]]
"""Fortnox ids → linked Upsales ids, for the given phase's Fortnox type."""
PageLister = Callable[[int], Awaitable[ListPage[Entity]]]


@dataclass(frozen=True)
class ItemReads(Generic[T]):
    """What a phase reads per item: ``key`` names the item (as its link does), ``read`` reads
    it (one Fortnox call)."""

    key: Callable[[Entity], str | None]
    read: Callable[[Entity], Awaitable[T]]


def document_number(entity: Entity) -> str | None:
    number = getattr(entity, "DocumentNumber", None)
    return str(number) if number is not None else None


async def read_document(fortnox: FortnoxPort, listed: Entity) -> FortnoxDocument:
    """The whole document behind a list item."""
    number = getattr(listed, "DocumentNumber", None)
    if number is None:
        raise ValueError("a listed document without a number cannot be read")
    if isinstance(listed, Invoice):
        return await fortnox.get_invoice(number)
    if isinstance(listed, Offer):
        return await fortnox.get_offer(number)
    return await fortnox.get_order(number)


@dataclass
class ReadPage(Generic[T]):
    """A page as the read-ahead listed it, and what it read of its items (by key)."""

    listed: ListPage[Entity]
    read: dict[str, T] = field(default_factory=dict)


class PageReadAhead(Generic[T]):
    def __init__(
        self,
        phase: Phase,
        list_page: PageLister,
        linked: LinkedLookup,
        reads: ItemReads[T],
        *,
        first_page: int = 1,
        max_pages: int = READ_AHEAD_PAGES,
        concurrency: int = READ_AHEAD_CONCURRENCY,
    ) -> None:
        if max_pages < 1 or concurrency < 1:
            raise ValueError("max_pages and concurrency must be at least 1")
        self.phase = phase
        self._list_page = list_page
        self._linked = linked
        self._reads = reads
        self._next_page = first_page
        self._max_pages = max_pages
        self._concurrency = concurrency
        self._pages: dict[int, ReadPage[T]] = {}
        self._whole: set[int] = set()
        self._changed = asyncio.Event()
        """Set when a page is read whole, a page is taken, or reading ends."""
        self._task: asyncio.Task[None] | None = None
        self.ahead_of_need = True
        """Until the import reaches the phase: its calls wait behind the import's own and
        leave them a part of Fortnox's window (see :func:`read_ahead_of_need`)."""

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._read())

    def needed(self) -> None:
        """The import has reached the phase: its calls are the import's own now."""
        self.ahead_of_need = False

    @property
    def reading(self) -> bool:
        return self._task is not None and not self._task.done()

    async def take(self, number: int) -> ReadPage[T] | None:
        """Page ``number`` once it is read whole (waiting for it), and room for another.

        After reading stopped (the last page, a failure, :meth:`cancel`) the page as far as it
        was read, its missing items for the caller to read; None for a page it never
        listed. Pages are taken in order."""
        while number not in self._whole and self.reading:
            self._changed.clear()
            await self._changed.wait()
        page = self._pages.pop(number, None)
        self._whole.discard(number)
        self._changed.set()
        return page

    async def completed(self) -> dict[int, ReadPage[T]]:
        """Wait until reading stops (the last page, or ``max_pages`` held and none taken
        while waiting); the pages held."""
        while self.reading:
            if len(self._pages) >= self._max_pages and len(self._whole) == len(self._pages):
                break
            self._changed.clear()
            await self._changed.wait()
        return dict(self._pages)

    async def cancel(self) -> None:
        """Stop at once, dropping what was read (the import ends)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.wait({self._task})  # a cancellation of the caller still propagates
        self._pages.clear()
        self._whole.clear()

    async def _read(self) -> None:
        read_ahead_of_need(lambda: self.ahead_of_need)  # this task's calls, and its readers'
        try:
            while True:
                while len(self._pages) >= self._max_pages:  # wait for a page to be taken
                    self._changed.clear()
                    await self._changed.wait()
                number = self._next_page
                listed = await self._list_page(number)
                page = self._pages[number] = ReadPage[T](listed)
                keyed = [(self._reads.key(item), item) for item in listed.items]
                known = [key for key, _ in keyed if key is not None]
                linked = await self._linked(self.phase, known) if known else {}
                wanted = [(key, item) for key, item in keyed if key and key not in linked]
                await self._read_items(page, iter(wanted))
                self._whole.add(number)
                self._changed.set()
                if number >= listed.total_pages:
                    return
                self._next_page = number + 1
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the import reads what is missing itself
            first = exc.exceptions[0] if isinstance(exc, ExceptionGroup) else exc
            logger.info("reading %s ahead stopped: %s", self.phase.value, type(first).__name__)
        finally:
            self._changed.set()

    async def _read_items(self, page: ReadPage[T], wanted: Iterator[tuple[str, Entity]]) -> None:
        async def reader() -> None:
            for key, item in wanted:  # one iterator shared by the readers
                page.read[key] = await self._reads.read(item)

        async with asyncio.TaskGroup() as readers:
            for _ in range(self._concurrency):
                readers.create_task(reader())


def document_read_ahead(
    phase: Phase, fortnox: FortnoxPort, linked: LinkedLookup, **options: int
) -> PageReadAhead[FortnoxDocument]:
    """A document phase's pages, each unlinked document read whole (``options``: those of
    :class:`PageReadAhead`)."""
    if not phase.is_document:
        raise ValueError(f"only documents are read ahead, not {phase}")

    async def list_page(number: int) -> ListPage[Entity]:
        return await fortnox.list_page(PHASE_MODELS[phase], number, sort_by=SORT_KEYS[phase])

    async def read(listed: Entity) -> FortnoxDocument:
        return await read_document(fortnox, listed)

    return PageReadAhead(phase, list_page, linked, ItemReads(document_number, read), **options)


def article_read_ahead(
    fortnox: FortnoxPort, reader: ArticleReader, linked: LinkedLookup, **options: int
) -> PageReadAhead[ArticleReads]:
    """The articles' pages, what ``reader`` reads of each unlinked article read: its prices in
    the chosen list and the currencies' (one call per list: see
    :mod:`upsales_fortnox.sync.inbound.pricing`), its stock."""
    phase = Phase.ARTICLES

    async def list_page(number: int) -> ListPage[Entity]:
        return await fortnox.list_page(
            PHASE_MODELS[phase], number, sort_by=SORT_KEYS[phase], filter=LIST_FILTERS[phase]
        )

    async def read(article: Entity) -> ArticleReads:
        if not isinstance(article, Article):
            raise TypeError(f"an article page holds articles, not {type(article).__name__}")
        return await reader.read(article)

    options.setdefault("max_pages", PRICE_PAGES_AHEAD)
    return PageReadAhead(phase, list_page, linked, ItemReads(entity_id, read), **options)


class PagesAhead(Generic[T]):
    """The import's side of a phase's read-ahead: its pages taken in order, and what was read
    of the page taken last, each item once. ``make`` builds the read-ahead of a phase from a
    page; :meth:`page` starts one there when the import reaches a phase none reads yet."""

    def __init__(self, make: Callable[[Phase, int], PageReadAhead[T]]) -> None:
        self._make = make
        self._read_ahead: PageReadAhead[T] | None = None
        self._read: dict[str, T] = {}

    def start(self, phase: Phase, first_page: int) -> None:
        self._read_ahead = self._make(phase, first_page)
        self._read_ahead.start()

    async def stop(self) -> None:
        self._read = {}
        if self._read_ahead is not None:
            await self._read_ahead.cancel()
            self._read_ahead = None

    async def page(self, phase: Phase, number: int) -> ListPage[Entity] | None:
        """Page ``number`` as read ahead; None: the phase lists it itself."""
        if self._read_ahead is None or self._read_ahead.phase is not phase:
            await self.stop()
            self.start(phase, number)
        assert self._read_ahead is not None
        self._read_ahead.needed()
        read = await self._read_ahead.take(number)
        self._read = read.read if read is not None else {}
        return read.listed if read is not None else None

    def pop(self, key: str | None) -> T | None:
        """What was read of item ``key`` of the page taken last, once; None: not read."""
        return self._read.pop(key, None) if key is not None else None
