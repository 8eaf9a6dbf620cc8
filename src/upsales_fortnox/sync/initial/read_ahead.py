"""Reading the first documents of the document phase while the phases before it import.

Customers and articles are imported through Upsales; Fortnox is then nearly idle (one list page
per 500 entities), while the document phase that follows is bound by Fortnox's budget: one read
per document. :class:`DocumentReadAhead` spends the idle budget: it lists the document phase's
first pages, looks up which of their documents are linked already (those are never read), and
reads the others, up to ``max_documents`` of them, keeping them in memory. When the document
phase starts it stops the read-ahead (reads in flight are awaited, none is started) and takes
each page's listing and documents instead of asking Fortnox again, so no call is made twice.

It only reads: a crash loses the reads, nothing else. What the document phase does with a
document is decided as before, at its page, from the links and Upsales orders of that moment (a
document linked in between is simply not used). A read that fails stops the read-ahead quietly;
the document phase reads what is missing itself and meets the failure there, if it lasts.

Memory: the documents held, at most ``max_documents`` (a parsed invoice with a few rows takes
about 10 KB), plus the listings of the pages read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Final

from upsales_fortnox.fortnox.client import FortnoxClient, ListPage
from upsales_fortnox.fortnox.models import Entity, Invoice, Offer
from upsales_fortnox.sync.inbound.documents import FortnoxDocument
from upsales_fortnox.sync.initial.phases import PHASE_MODELS, SORT_KEYS, Phase

logger = logging.getLogger(__name__)

READ_AHEAD_DOCUMENTS: Final = 1000
"""Documents read ahead at most (two pages): about 10 MB of typical invoices."""
READ_AHEAD_CONCURRENCY: Final = 4
"""Reads in flight at once: enough to keep Fortnox's budget busy, few enough to leave the
phase being imported its share of the event loop."""

LinkedLookup = Callable[[Phase, list[str]], Awaitable[dict[str, int]]]
"""Fortnox ids → linked Upsales ids, for the given phase's Fortnox type."""


def document_number(entity: Entity) -> str | None:
    number = getattr(entity, "DocumentNumber", None)
    return str(number) if number is not None else None


async def read_document(fortnox: FortnoxClient, listed: Entity) -> FortnoxDocument:
    """The whole document behind a list item (list items carry no rows)."""
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
    """A page of the document phase as the read-ahead listed it, and the documents it read."""

    listed: ListPage[Entity]
    documents: dict[str, FortnoxDocument] = field(default_factory=dict)


class DocumentReadAhead:
    def __init__(
        self,
        phase: Phase,
        fortnox: FortnoxClient,
        linked: LinkedLookup,
        *,
        max_documents: int = READ_AHEAD_DOCUMENTS,
        concurrency: int = READ_AHEAD_CONCURRENCY,
    ) -> None:
        if not phase.is_document:
            raise ValueError(f"only documents are read ahead, not {phase}")
        self.phase = phase
        self._fortnox = fortnox
        self._linked = linked
        self._max_documents = max_documents
        self._concurrency = concurrency
        self._pages: dict[int, ReadPage] = {}
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._read())

    async def completed(self) -> dict[int, ReadPage]:
        """Wait until it has read all it reads (``max_documents``, or the last page); the
        pages read."""
        if self._task is not None:
            await self._task
        return self._pages

    async def finish(self) -> dict[int, ReadPage]:
        """Stop: no read starts any more, those in flight are awaited. The pages read, by page
        number (a page's documents may be fewer than its unlinked items)."""
        self._stopping = True
        if self._task is not None:
            await self._task
        return self._pages

    async def cancel(self) -> None:
        """Stop at once, dropping what was read (the import ends)."""
        self._stopping = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.wait({self._task})  # a cancellation of the caller still propagates
        self._pages = {}

    async def _read(self) -> None:
        left = self._max_documents
        number = 1
        try:
            while left > 0 and not self._stopping:
                listed = await self._fortnox.list_page(
                    PHASE_MODELS[self.phase], number, sort_by=SORT_KEYS[self.phase]
                )
                page = self._pages[number] = ReadPage(listed)
                numbered = [(document_number(item), item) for item in listed.items]
                known = [key for key, _ in numbered if key is not None]
                linked = await self._linked(self.phase, known) if known else {}
                wanted = [(key, item) for key, item in numbered if key and key not in linked]
                wanted = wanted[:left]
                left -= len(wanted)
                await self._read_documents(page, iter(wanted))
                if number >= listed.total_pages:
                    return
                number += 1
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the document phase reads what is missing itself
            first = exc.exceptions[0] if isinstance(exc, ExceptionGroup) else exc
            logger.info("reading %s ahead stopped: %s", self.phase.value, type(first).__name__)

    async def _read_documents(self, page: ReadPage, wanted: Iterator[tuple[str, Entity]]) -> None:
        async def reader() -> None:
            for key, item in wanted:  # one iterator shared by the readers
                if self._stopping:
                    return
                page.documents[key] = await read_document(self._fortnox, item)

        async with asyncio.TaskGroup() as readers:
            for _ in range(self._concurrency):
                readers.create_task(reader())
