"""Reading a document phase's documents ahead of the pages that import them.

A document phase is bound by Fortnox's budget: one read per document (list items carry no
rows). :class:`DocumentReadAhead` keeps that budget busy without gaps: it lists the phase's
pages in order, looks up which of their documents are linked already (those are never read),
and reads the others, a few at a time, holding at most :data:`READ_AHEAD_PAGES` pages that the
import has not taken yet. The import takes each page, once it is read whole, instead of asking
Fortnox again, so no call is made twice, and creates its Upsales records while the next pages
are read. The first document phase's read-ahead starts with the run: while customers and
articles are imported through Upsales, Fortnox would otherwise sit idle.

It only reads: a crash loses the reads, nothing else. What the import does with a document is
decided as before, at its page, from the links and Upsales orders of that moment (a document
linked in between is simply not used). A read or lookup that fails stops the read-ahead
quietly; the import reads what is missing itself and meets the failure there, if it lasts.

Memory: the documents of the pages held (a parsed invoice with a few rows takes about 10 KB, so
two pages of 500 take about 10 MB), and their listings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Final

from upsales_fortnox.domain.inbound.document_changes import FortnoxDocument
from upsales_fortnox.domain.initial_phases import PHASE_MODELS, SORT_KEYS, Phase
from upsales_fortnox.integrations.fortnox.listing import ListPage
from upsales_fortnox.integrations.fortnox.models import Entity, Invoice, Offer
from upsales_fortnox.integrations.ports import FortnoxPort

logger = logging.getLogger(__name__)

READ_AHEAD_PAGES: Final = 2
"""Pages read (or being read) and not yet taken, at most."""
READ_AHEAD_CONCURRENCY: Final = 4
"""Reads in flight at once: enough to keep Fortnox's budget busy, few enough to leave the
import its share of the event loop and the connection pool."""

LinkedLookup = Callable[[Phase, list[str]], Awaitable[dict[str, int]]]
"""Fortnox ids → linked Upsales ids, for the given phase's Fortnox type."""


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
class ReadPage:
    """A page as the read-ahead listed it, and the documents it read (by number)."""

    listed: ListPage[Entity]
    documents: dict[str, FortnoxDocument] = field(default_factory=dict)


class DocumentReadAhead:
    def __init__(
        self,
        phase: Phase,
        fortnox: FortnoxPort,
        linked: LinkedLookup,
        *,
        first_page: int = 1,
        max_pages: int = READ_AHEAD_PAGES,
        concurrency: int = READ_AHEAD_CONCURRENCY,
    ) -> None:
        if not phase.is_document:
            raise ValueError(f"only documents are read ahead, not {phase}")
        if max_pages < 1 or concurrency < 1:
            raise ValueError("max_pages and concurrency must be at least 1")
        self.phase = phase
        self._fortnox = fortnox
        self._linked = linked
        self._next_page = first_page
        self._max_pages = max_pages
        self._concurrency = concurrency
        self._pages: dict[int, ReadPage] = {}
        self._whole: set[int] = set()
        self._changed = asyncio.Event()
        """Set when a page is read whole, a page is taken, or reading ends."""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._read())

    @property
    def reading(self) -> bool:
        return self._task is not None and not self._task.done()

    async def take(self, number: int) -> ReadPage | None:
        """Page ``number`` once it is read whole (waiting for it), and room for another.

        After reading stopped (the last page, a failure, :meth:`cancel`) the page as far as it
        was read, its missing documents for the caller to read; None for a page it never
        listed. Pages are taken in order."""
        while number not in self._whole and self.reading:
            self._changed.clear()
            await self._changed.wait()
        page = self._pages.pop(number, None)
        self._whole.discard(number)
        self._changed.set()
        return page

    async def completed(self) -> dict[int, ReadPage]:
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
        try:
            while True:
                while len(self._pages) >= self._max_pages:  # wait for a page to be taken
                    self._changed.clear()
                    await self._changed.wait()
                number = self._next_page
                listed = await self._fortnox.list_page(
                    PHASE_MODELS[self.phase], number, sort_by=SORT_KEYS[self.phase]
                )
                page = self._pages[number] = ReadPage(listed)
                numbered = [(document_number(item), item) for item in listed.items]
                known = [key for key, _ in numbered if key is not None]
                linked = await self._linked(self.phase, known) if known else {}
                wanted = [(key, item) for key, item in numbered if key and key not in linked]
                await self._read_documents(page, iter(wanted))
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

    async def _read_documents(self, page: ReadPage, wanted: Iterator[tuple[str, Entity]]) -> None:
        async def reader() -> None:
            for key, item in wanted:  # one iterator shared by the readers
                page.documents[key] = await read_document(self._fortnox, item)

        async with asyncio.TaskGroup() as readers:
            for _ in range(self._concurrency):
                readers.create_task(reader())
