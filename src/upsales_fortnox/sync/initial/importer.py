"""The initial import, one Fortnox page at a time, with the inbound sync's rules.

For each page: read it (``sortby`` ascending, 500 items), look up the links of its entities in
one query, decide per entity with the inbound sync's pure functions (matching, mapping,
document planning), carry out the commands through the Upsales client (up to
:data:`CONCURRENCY` entities at once; the clients pace themselves), save the page's new links in
one statement, and report the outcomes. The caller checkpoints after every page, so a page is
checkpointed only once all its writes and links are committed.

A document phase's documents are read ahead of its pages (:mod:`.read_ahead`), the first
phase's from the start of the run, with Fortnox's budget that customers and articles leave
idle; each page takes its listing and documents from there instead of asking Fortnox again.

Rules particular to the initial import (the inbound handlers keep linked entities up to date
from change events afterwards):

* An entity linked already is ``unchanged``: the import neither reads nor writes it again.
* Customers and articles are imported from their list items (no read per entity): a customer's
  list item lacks some fields (country, visiting address, web page, VAT number), which the
  first change event fills in. Only active articles are imported.
* A document is read in full (its rows are not in the list) only when it has neither a link nor
  an Upsales order carrying its reference (``FORTNOX_DOCUMENT``).
* An ambiguous match is never guessed: it is reported with its candidates and skipped; a
  document whose customer is not linked (ambiguous, say) is skipped too, with that reason.
* An entity Upsales refuses (400) is reported as ``failed``; the import goes on. Temporary
  failures (rate limit, 5xx, network) end the run; the job is retried and resumes from the
  last checkpoint. A repeated page creates nothing twice: what was created before the failure
  is found by its link, by the Fortnox customer number or document reference written on it, by
  organisation number or name, or (products) by article number.

With ``dry_run`` nothing is written anywhere: the same decisions are counted and sampled (the
preview). Documents are then judged from their list items, without reading them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.db.models import FortnoxType, LinkEntity
from upsales_fortnox.integrations.errors import PermanentError, ReauthorizationRequired
from upsales_fortnox.integrations.fortnox.listing import ListPage
from upsales_fortnox.integrations.fortnox.models import Article, Customer, Entity, Order
from upsales_fortnox.integrations.ports import FortnoxPort, UpsalesPort
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound
from upsales_fortnox.integrations.upsales.models import CustomField, Product, User
from upsales_fortnox.sync.commands import (
    Command,
    CreateUpsalesCompany,
    CreateUpsalesOrder,
    CreateUpsalesProduct,
    LinkTarget,
    RemoveLink,
    SaveLink,
    UpdateUpsalesCompany,
    UpdateUpsalesOrder,
    UpdateUpsalesProduct,
)
from upsales_fortnox.sync.identity import normalise_article_number
from upsales_fortnox.sync.inbound.companies import (
    AccountFieldIds,
    CompanyIndex,
    MatchKind,
    company_changes,
    customer_fingerprint,
    is_empty,
    new_company,
)
from upsales_fortnox.sync.inbound.decide_document import (
    Action,
    LinkedOrder,
    UpsalesOrderState,
    document_commands,
    plan_document,
)
from upsales_fortnox.sync.inbound.documents import (
    FortnoxDocument,
    OrderReferences,
    document_fingerprint,
    document_lines,
    document_type,
    needs_fallback_product,
    predecessor,
)
from upsales_fortnox.sync.inbound.pricing import article_prices
from upsales_fortnox.sync.inbound.products import (
    NO_ARTICLE_NUMBER,
    decide_article,
    no_article_product,
)
from upsales_fortnox.sync.inbound.users import SettingsIncomplete, order_user
from upsales_fortnox.sync.initial.indexes import (
    company_index,
    linked_by_fortnox_id,
    linked_upsales_ids,
    order_reference_index,
    product_index,
    slim_company,
    slim_product,
)
from upsales_fortnox.sync.initial.phases import FORTNOX_TYPES, PHASE_MODELS, SORT_KEYS, Phase
from upsales_fortnox.sync.initial.progress import SyncProgress
from upsales_fortnox.sync.initial.read_ahead import (
    DocumentReadAhead,
    ReadPage,
    document_number,
    read_document,
)
from upsales_fortnox.sync.links import LinkStore
from upsales_fortnox.sync.references import (
    CUSTOMER_NUMBER_FIELD_ALIAS,
    DOCUMENT_FIELD_ALIAS,
    VAT_NUMBER_FIELD_ALIAS,
    fortnox_document_reference,
    is_outbound_reference,
    parse_outbound_reference,
)
from upsales_fortnox.sync.settings import SyncSettings

CONCURRENCY: Final = 8
"""Entities of one page worked on at once (their API calls are paced by the clients). Enough
to keep the budgets busy: 8 in flight sustain Upsales' 20 requests per second at up to 400 ms a
request, and Fortnox's 5 at up to 1.6 s. More only adds connections, and the HTTP pool's
bookkeeping grows with them on every request (a fifth of the sync's CPU at 16)."""
MAX_CANDIDATES_REPORTED: Final = 10

Monotonic = Callable[[], float]
Run = Callable[[], Awaitable["Outcome"]]
Job = tuple[dict[str, Any], Run]
"""An entity's report entry and the work that decides its outcome."""


class Recorder(Protocol):
    """Receives every entity's outcome (the preview keeps samples)."""

    def record(self, phase: Phase, outcome: str, entry: dict[str, Any]) -> None: ...


@dataclass
class ImportContext:
    installation_id: uuid.UUID
    settings: SyncSettings
    fortnox: FortnoxPort
    upsales: UpsalesPort
    session_factory: async_sessionmaker[AsyncSession]
    dry_run: bool = False
    today: Callable[[], dt.date] = dt.date.today
    monotonic: Monotonic = time.monotonic
    concurrency: int = CONCURRENCY


@dataclass(frozen=True)
class Outcome:
    """One entity's fate: what happened, and what operators need to see about it."""

    outcome: str
    entry: dict[str, Any]
    links: tuple[SaveLink, ...] = ()


@dataclass
class _PhaseState:
    """What a phase keeps for the whole run (rebuilt after a restart)."""

    companies: CompanyIndex | None = None
    account_fields: AccountFieldIds | None = None
    products: dict[str, Product] = field(default_factory=dict)
    linked_products: set[int] = field(default_factory=set)
    order_refs: dict[str, int] = field(default_factory=dict)
    document_field_id: int | None = None
    users: list[User] = field(default_factory=list)
    offer_probability: int = 50
    article_products: dict[str, int] = field(default_factory=dict)
    """Documents: article number → linked product id (every article link, loaded once)."""
    fallback_product_id: int | None = None


def _field_id(fields: Sequence[CustomField], alias: str) -> int | None:
    wanted = alias.strip().casefold()
    for item in fields:
        if (item.alias or "").strip().casefold() == wanted:
            return item.id
    return None


def _entity_id(phase: Phase, entity: Entity) -> str | None:
    if isinstance(entity, Customer):
        return (entity.CustomerNumber or "").strip() or None
    if isinstance(entity, Article):
        return normalise_article_number(entity.ArticleNumber)
    number = getattr(entity, "DocumentNumber", None)
    return str(number) if number is not None else None


def _label(entity: Entity) -> str | None:
    if isinstance(entity, Customer):
        return entity.Name
    if isinstance(entity, Article):
        return entity.Description
    return getattr(entity, "CustomerName", None)


class InitialImport:
    def __init__(
        self, context: ImportContext, progress: SyncProgress, recorder: Recorder | None = None
    ) -> None:
        self._ctx = context
        self._progress = progress
        self._recorder = recorder
        self._state: dict[Phase, _PhaseState] = {}
        self._semaphore = asyncio.Semaphore(context.concurrency)
        self._would_be_linked: dict[FortnoxType, set[str]] = {}
        """Dry run: Fortnox ids that would be linked or created (documents count on them)."""
        self._read_ahead: DocumentReadAhead | None = None
        self._documents_read: dict[str, FortnoxDocument] = {}
        """The current page's documents read ahead, by number (each taken once)."""

    # --- driving ----------------------------------------------------------------------------

    async def run(self, checkpoint: Callable[[SyncProgress], Awaitable[None]]) -> SyncProgress:
        """Import from the progress' cursor to the end, checkpointing after every page.

        Documents are read ahead of their pages (:mod:`.read_ahead`), those of the first
        document phase from the start, while customers and articles are imported; not in a
        dry run.
        """
        current = self._progress.current
        if current is not None and not current.is_document:
            later = self._progress.phases[self._progress.phase_index :]
            first_documents = next((phase for phase in later if phase.is_document), None)
            if first_documents is not None:
                self._start_read_ahead(first_documents, 1)
        try:
            while (phase := self._progress.current) is not None:
                more = await self.import_page(phase, self._progress.next_page)
                if more:
                    self._progress.next_page += 1
                else:
                    self._progress.next_phase()
                    self._state.pop(phase, None)
                await checkpoint(self._progress)
        finally:
            await self._stop_read_ahead()
        return self._progress

    def _start_read_ahead(self, phase: Phase, first_page: int) -> None:
        if not self._ctx.dry_run:
            self._read_ahead = DocumentReadAhead(
                phase, self._ctx.fortnox, self._links, first_page=first_page
            )
            self._read_ahead.start()

    async def _stop_read_ahead(self) -> None:
        if self._read_ahead is not None:
            await self._read_ahead.cancel()
            self._read_ahead = None

    async def _page_read_ahead(self, phase: Phase, page_number: int) -> ReadPage | None:
        """The page as read ahead (a document phase's), or None: the caller lists it."""
        if not phase.is_document or self._ctx.dry_run:
            return None
        if self._read_ahead is None or self._read_ahead.phase is not phase:
            await self._stop_read_ahead()
            self._start_read_ahead(phase, page_number)
        assert self._read_ahead is not None
        return await self._read_ahead.take(page_number)

    async def import_page(self, phase: Phase, page_number: int) -> bool:
        """One page of ``phase``; True when more pages follow."""
        started = self._ctx.monotonic()
        state = await self._prepare(phase)
        read = await self._page_read_ahead(phase, page_number)
        self._documents_read = read.documents if read is not None else {}
        listed: ListPage[Entity] = (
            read.listed
            if read is not None
            else await self._ctx.fortnox.list_page(
                PHASE_MODELS[phase], page_number, sort_by=SORT_KEYS[phase], filter=_filter(phase)
            )
        )
        entities = [entity for entity in listed.items if _entity_id(phase, entity) is not None]
        linked = await self._links(phase, [_entity_id(phase, e) or "" for e in entities])
        if phase is Phase.CUSTOMERS:
            outcomes = await self._customers(state, entities, linked)
        elif phase is Phase.ARTICLES:
            outcomes = await self._articles(state, entities, linked)
        else:
            outcomes = await self._documents(phase, state, entities, linked)
        self._documents_read = {}
        failure = await self._save(outcomes)
        self._report(phase, outcomes, listed, started)
        if failure is not None:
            raise failure
        return page_number < listed.total_pages

    def _report(
        self,
        phase: Phase,
        outcomes: list[Outcome | BaseException],
        listed: ListPage[Entity],
        started: float,
    ) -> None:
        progress = self._progress.phase(phase)
        progress.total = listed.total_resources
        progress.seconds += self._ctx.monotonic() - started
        for item in outcomes:
            if isinstance(item, BaseException):
                continue
            progress.done += 1
            progress.count(item.outcome)
            entry = {"phase": phase.value, **item.entry}
            if item.outcome == "ambiguous":
                self._progress.report_ambiguous(entry)
            elif item.outcome == "failed":
                self._progress.report_failed(entry)
            if self._recorder is not None:
                self._recorder.record(phase, item.outcome, entry)
        skipped = len(listed.items) - sum(1 for _ in outcomes)
        if skipped > 0:  # entities without a number (never seen in practice)
            progress.done += skipped
            progress.count("skipped", skipped)

    # --- preparing a phase (once per run) ---------------------------------------------------

    async def _prepare(self, phase: Phase) -> _PhaseState:
        state = self._state.get(phase)
        if state is not None:
            return state
        ctx = self._ctx
        state = _PhaseState()
        if phase is Phase.CUSTOMERS:
            fields = await ctx.upsales.list_custom_fields("account")
            state.account_fields = AccountFieldIds(
                customer_number=_field_id(fields, CUSTOMER_NUMBER_FIELD_ALIAS),
                vat_number=_field_id(fields, VAT_NUMBER_FIELD_ALIAS),
            )
            linked = await linked_upsales_ids(
                ctx.session_factory, ctx.installation_id, LinkEntity.COMPANY
            )
            state.companies = await company_index(
                ctx.upsales,
                customer_number_field_id=state.account_fields.customer_number,
                linked_ids=linked,
            )
        elif phase is Phase.ARTICLES:
            state.products = await product_index(ctx.upsales)
            state.linked_products = await linked_upsales_ids(
                ctx.session_factory, ctx.installation_id, LinkEntity.PRODUCT
            )
        else:
            fields = await ctx.upsales.list_custom_fields("order")
            state.document_field_id = _field_id(fields, DOCUMENT_FIELD_ALIAS)
            state.order_refs = await order_reference_index(ctx.upsales, state.document_field_id)
            state.article_products = await linked_by_fortnox_id(
                ctx.session_factory, ctx.installation_id, FortnoxType.ARTICLE
            )
            if not ctx.dry_run:
                state.users = await ctx.upsales.list_users()
                if phase is Phase.OFFERS:
                    state.offer_probability = await self._offer_probability()
        self._state = {phase: state}
        return state

    async def _offer_probability(self) -> int:
        stage_id = self._ctx.settings.offer_stage
        for stage in await self._ctx.upsales.list_order_stages():
            if stage.id == stage_id and stage.probability is not None:
                return stage.probability
        return 50

    async def _links(self, phase: Phase, fortnox_ids: list[str]) -> dict[str, int]:
        if not fortnox_ids:
            return {}
        async with self._ctx.session_factory() as session:
            return await LinkStore(session, self._ctx.installation_id).upsales_ids_by_fortnox(
                FORTNOX_TYPES[phase], fortnox_ids
            )

    # --- customers --------------------------------------------------------------------------

    async def _customers(
        self, state: _PhaseState, customers: Sequence[Entity], linked: dict[str, int]
    ) -> list[Outcome | BaseException]:
        assert state.companies is not None and state.account_fields is not None
        index, field_ids = state.companies, state.account_fields
        jobs: list[Job] = []
        for entity in customers:
            assert isinstance(entity, Customer)
            customer = _with_phone(entity)
            number = _entity_id(Phase.CUSTOMERS, customer) or ""
            entry: dict[str, Any] = {"fortnox_id": number, "name": customer.Name}
            if number in linked:
                jobs.append((entry, _done("unchanged", {**entry, "upsales_id": linked[number]})))
                continue
            match = index.match(customer)
            fp = customer_fingerprint(customer)
            if match.kind is MatchKind.AMBIGUOUS:
                candidates = [
                    {"id": c.id, "name": c.name, "orgNo": c.orgNo}
                    for c in match.candidates[:MAX_CANDIDATES_REPORTED]
                ]
                on = match.matched_on.value if match.matched_on else None
                ambiguous = {**entry, "matched_on": on, "candidates": candidates}
                jobs.append((entry, _done("ambiguous", ambiguous)))
                continue
            self._would_link(state, FortnoxType.CUSTOMER, number)
            target = LinkTarget(LinkEntity.COMPANY, FortnoxType.CUSTOMER, number, fp)
            if match.kind is MatchKind.LINK:
                assert match.company is not None
                company_id = match.company.id
                index.mark_linked(company_id)
                on = match.matched_on.value if match.matched_on else None
                found = {**entry, "upsales_id": company_id, "matched_on": on}
                jobs.append(
                    (entry, self._link_company(customer, company_id, target, field_ids, found))
                )
                continue
            draft = new_company(customer, field_ids)
            jobs.append((entry, self._create(CreateUpsalesCompany(draft, target), entry, state)))
        return await self._gather(jobs)

    def _link_company(
        self,
        customer: Customer,
        company_id: int,
        target: LinkTarget,
        field_ids: AccountFieldIds,
        entry: dict[str, Any],
    ) -> Run:
        link = SaveLink(
            target.entity, company_id, target.fortnox_type, target.fortnox_id, target.fingerprint
        )

        async def run() -> Outcome:
            # the preview reads the company too, so it reports "updated" as the run would
            current = await self._ctx.upsales.get_company(company_id)
            changes = company_changes(customer, current, field_ids, fill_only=True)
            if is_empty(changes):
                return Outcome("linked", entry, () if self._ctx.dry_run else (link,))
            if self._ctx.dry_run:
                return Outcome("updated", entry)
            await self._ctx.upsales.update_company(company_id, changes)
            return Outcome("updated", entry, (link,))

        return run

    # --- articles ---------------------------------------------------------------------------

    async def _articles(
        self, state: _PhaseState, articles: Sequence[Entity], linked: dict[str, int]
    ) -> list[Outcome | BaseException]:
        price_list = self._ctx.settings.price_list
        prices: dict[str, Decimal] = {}
        if price_list:  # one call per unlinked article: see sync.inbound.pricing
            numbers = [_entity_id(Phase.ARTICLES, a) or "" for a in articles]
            prices = await article_prices(
                self._ctx.fortnox,
                price_list,
                [number for number in numbers if number not in linked],
                concurrency=self._ctx.concurrency,
            )
        jobs: list[Job] = []
        for article in articles:
            assert isinstance(article, Article)
            number = _entity_id(Phase.ARTICLES, article) or ""
            entry: dict[str, Any] = {"fortnox_id": number, "name": article.Description}
            if number in linked:
                jobs.append((entry, _done("unchanged", {**entry, "upsales_id": linked[number]})))
                continue
            price = prices.get(number) if price_list else article.SalesPrice
            decision = decide_article(
                number,
                article,
                price,
                link=None,
                linked_product=None,
                product_by_article_no=state.products.get(number),
                linked_product_ids=state.linked_products,
            )
            if decision.product_id is not None:
                state.linked_products.add(decision.product_id)
                entry["upsales_id"] = decision.product_id
            if not decision.priced:
                entry["note"] = "no price in the chosen price list; list price 0"
            self._would_link(state, FortnoxType.ARTICLE, number)
            jobs.append((entry, self._apply(decision.commands, entry, state, decision.outcome)))
        return await self._gather(jobs)

    # --- documents --------------------------------------------------------------------------

    async def _documents(
        self,
        phase: Phase,
        state: _PhaseState,
        documents: Sequence[Entity],
        linked: dict[str, int],
    ) -> list[Outcome | BaseException]:
        fortnox_type = FORTNOX_TYPES[phase]
        customer_links = await self._links(
            Phase.CUSTOMERS,
            sorted({(getattr(d, "CustomerNumber", None) or "").strip() for d in documents} - {""}),
        )
        jobs: list[Job] = []
        for listed in documents:
            number = _entity_id(phase, listed) or ""
            customer_number = (getattr(listed, "CustomerNumber", None) or "").strip()
            entry: dict[str, Any] = {
                "fortnox_id": number,
                "customer": customer_number,
                "name": _label(listed),
            }
            if number in linked:
                jobs.append((entry, _done("unchanged", {**entry, "upsales_id": linked[number]})))
                continue
            reference = fortnox_document_reference(fortnox_type, number)
            found = state.order_refs.get(reference)
            if found is not None:
                jobs.append((entry, self._link_found_order(listed, found, entry)))
                continue
            if self._ctx.dry_run:
                jobs.append(
                    (entry, _done(*self._judge_listed(state, listed, customer_links, entry)))
                )
                continue
            jobs.append((entry, self._import_document(phase, state, listed, customer_links, entry)))
        return await self._gather(jobs)

    def _link_found_order(self, listed: Entity, order_id: int, entry: dict[str, Any]) -> Run:
        entry = {**entry, "upsales_id": order_id, "matched_on": "document_reference"}

        async def run() -> Outcome:
            if self._ctx.dry_run:
                return Outcome("linked", entry)
            document = await self._read_document(listed)
            kind = document_type(document)
            link = SaveLink(
                LinkEntity.ORDER,
                order_id,
                kind,
                entry["fortnox_id"],
                document_fingerprint(document),
            )
            return Outcome("linked", entry, (link,))

        return run

    def _judge_listed(
        self,
        state: _PhaseState,
        listed: Entity,
        customer_links: dict[str, int],
        entry: dict[str, Any],
    ) -> tuple[str, dict[str, Any]]:
        """The dry run's verdict from the list item alone (the rows are not read)."""
        if isinstance(listed, Order) and listed.is_backorder:
            return "skipped", {**entry, "reason": "backorder"}
        if is_outbound_reference(getattr(listed, "ExternalInvoiceReference1", None)):
            return "skipped", {**entry, "reason": "own_document"}
        customer = entry["customer"]
        would = self._would_be_linked.get(FortnoxType.CUSTOMER, set())
        if customer not in customer_links and customer not in would:
            return "skipped", {**entry, "reason": "customer_not_linked"}
        return "created", entry

    def _import_document(
        self,
        phase: Phase,
        state: _PhaseState,
        listed: Entity,
        customer_links: dict[str, int],
        entry: dict[str, Any],
    ) -> Run:
        async def run() -> Outcome:
            document = await self._read_document(listed)
            fp = document_fingerprint(document)
            plan = plan_document(
                document,
                settings=self._ctx.settings,
                fingerprint=fp,
                own=None,
                predecessor=await self._predecessor(document),
                outbound_order=await self._outbound_order(document),
            )
            if plan.action is Action.SKIP:
                return Outcome("skipped", {**entry, "reason": plan.reason})
            refs = None
            if plan.needs_references:
                company_id = customer_links.get(entry["customer"])
                if company_id is None:
                    return Outcome("skipped", {**entry, "reason": "customer_not_linked"})
                try:
                    refs = await self._references(state, document, company_id)
                except SettingsIncomplete as exc:
                    return Outcome("failed", {**entry, "reason": exc.message})
            commands = document_commands(
                plan,
                document,
                settings=self._ctx.settings,
                fingerprint=fp,
                refs=refs,
                offer_probability=state.offer_probability,
                today=self._ctx.today(),
            )
            outcome = "created" if plan.action is Action.CREATE else "linked"
            if plan.order_id is not None:
                entry["upsales_id"] = plan.order_id
            return await self._run_commands(commands, entry, state, outcome)

        return run

    async def _read_document(self, listed: Entity) -> FortnoxDocument:
        number = document_number(listed)
        document = self._documents_read.pop(number, None) if number is not None else None
        if document is not None:
            return document
        return await read_document(self._ctx.fortnox, listed)

    async def _predecessor(self, document: FortnoxDocument) -> LinkedOrder | None:
        earlier = predecessor(document)
        if earlier is None:
            return None
        fortnox_type, number = earlier
        async with self._ctx.session_factory() as session:
            link = await LinkStore(session, self._ctx.installation_id).by_fortnox(
                fortnox_type, number
            )
        if link is None:
            return None
        return LinkedOrder(link, await self._order_state(link.upsales_id))

    async def _outbound_order(self, document: FortnoxDocument) -> UpsalesOrderState | None:
        order_id = parse_outbound_reference(getattr(document, "ExternalInvoiceReference1", None))
        return await self._order_state(order_id) if order_id is not None else None

    async def _order_state(self, order_id: int) -> UpsalesOrderState | None:
        try:
            order = await self._ctx.upsales.get_order(order_id)
        except UpsalesNotFound:
            return None
        return UpsalesOrderState(
            order.id, order.stage.id if order.stage else None, order.probability
        )

    async def _references(
        self, state: _PhaseState, document: FortnoxDocument, company_id: int
    ) -> OrderReferences:
        lines = document_lines(document)
        product_ids = {
            line.article_number: state.article_products[line.article_number]
            for line in lines
            if line.article_number in state.article_products
        }
        fallback = None
        if needs_fallback_product(lines, product_ids):
            fallback = await self._fallback_product(state)
        return OrderReferences(
            company_id=company_id,
            user_id=order_user(document.OurReference, state.users, self._ctx.settings),
            product_ids=product_ids,
            fallback_product_id=fallback,
            document_field_id=state.document_field_id,
        )

    async def _fallback_product(self, state: _PhaseState) -> int:
        if state.fallback_product_id is None:
            found = await self._ctx.upsales.find_product_by_article_no(NO_ARTICLE_NUMBER)
            if found is None:
                found = await self._ctx.upsales.create_product(no_article_product())
            state.fallback_product_id = found.id
        return state.fallback_product_id

    # --- carrying out -----------------------------------------------------------------------

    def _would_link(self, state: _PhaseState, fortnox_type: FortnoxType, number: str) -> None:
        if self._ctx.dry_run:
            self._would_be_linked.setdefault(fortnox_type, set()).add(number)

    def _create(self, command: Command, entry: dict[str, Any], state: _PhaseState) -> Run:
        return self._apply([command], entry, state, "created")

    def _apply(
        self, commands: list[Command], entry: dict[str, Any], state: _PhaseState, outcome: str
    ) -> Run:
        async def run() -> Outcome:
            return await self._run_commands(commands, entry, state, outcome)

        return run

    async def _run_commands(
        self, commands: list[Command], entry: dict[str, Any], state: _PhaseState, outcome: str
    ) -> Outcome:
        """Carry out one entity's commands in order; the links to save come back."""
        outcome = _outcome_of(commands, outcome)
        if self._ctx.dry_run:
            return Outcome(outcome, entry)
        upsales = self._ctx.upsales
        links: list[SaveLink] = []
        for command in commands:
            if isinstance(command, CreateUpsalesCompany):
                company = await upsales.create_company(command.company)
                field_id = state.account_fields.customer_number if state.account_fields else None
                if state.companies is not None:
                    state.companies.add(slim_company(company, field_id))
                    state.companies.mark_linked(company.id)
                links.append(_saved(command.link, company.id))
                entry["upsales_id"] = company.id
            elif isinstance(command, CreateUpsalesProduct):
                product = await upsales.create_product(command.product)
                article_number = normalise_article_number(product.articleNo)
                if article_number is not None:
                    state.products[article_number] = slim_product(product)
                state.linked_products.add(product.id)
                if command.link is not None:
                    links.append(_saved(command.link, product.id))
                entry["upsales_id"] = product.id
            elif isinstance(command, CreateUpsalesOrder):
                order = await upsales.create_order(command.order)
                state.order_refs[
                    fortnox_document_reference(command.link.fortnox_type, command.link.fortnox_id)
                ] = order.id
                links.append(_saved(command.link, order.id))
                entry["upsales_id"] = order.id
            elif isinstance(command, UpdateUpsalesCompany):
                await upsales.update_company(command.company_id, command.changes)
            elif isinstance(command, UpdateUpsalesProduct):
                await upsales.update_product(command.product_id, command.changes)
            elif isinstance(command, UpdateUpsalesOrder):
                await upsales.update_order(command.order_id, command.changes)
            elif isinstance(command, SaveLink):
                links.append(command)
            elif isinstance(command, RemoveLink):
                pass  # the initial import only meets entities without links
        return Outcome(outcome, entry, tuple(links))

    async def _gather(self, jobs: list[Job]) -> list[Outcome | BaseException]:
        """Run the jobs, :data:`CONCURRENCY` at a time. An entity Upsales or Fortnox refuses
        becomes a ``failed`` outcome; temporary failures come back as exceptions."""

        async def bounded(entry: dict[str, Any], job: Run) -> Outcome:
            async with self._semaphore:
                try:
                    return await job()
                except ReauthorizationRequired:
                    raise
                except PermanentError as exc:
                    return Outcome("failed", {**entry, "reason": f"{exc.code}: {exc.message}"})

        results = await asyncio.gather(
            *(bounded(entry, job) for entry, job in jobs), return_exceptions=True
        )
        return list(results)

    async def _save(self, outcomes: list[Outcome | BaseException]) -> BaseException | None:
        """Save the links of what succeeded (one statement); the first failure, if any."""
        links = [link for item in outcomes if isinstance(item, Outcome) for link in item.links]
        if links and not self._ctx.dry_run:
            async with self._ctx.session_factory() as session, session.begin():
                await LinkStore(session, self._ctx.installation_id).save_many(links)
        return next((item for item in outcomes if isinstance(item, BaseException)), None)


def _filter(phase: Phase) -> str | None:
    return "active" if phase is Phase.ARTICLES else None


def _with_phone(customer: Customer) -> Customer:
    """List items name the phone ``Phone``; the entity (and the mapping) ``Phone1``."""
    phone = (customer.model_extra or {}).get("Phone")
    if customer.Phone1 is None and phone:
        return customer.model_copy(update={"Phone1": phone})
    return customer


def _saved(target: LinkTarget, upsales_id: int) -> SaveLink:
    return SaveLink(
        target.entity, upsales_id, target.fortnox_type, target.fortnox_id, target.fingerprint
    )


def _outcome_of(commands: list[Command], default: str) -> str:
    """``linked`` becomes ``updated`` when the matched record's fields are written too."""
    if default == "linked" and any(
        isinstance(c, UpdateUpsalesCompany | UpdateUpsalesProduct | UpdateUpsalesOrder)
        for c in commands
    ):
        return "updated"
    return default


def _done(outcome: str, entry: dict[str, Any]) -> Run:
    async def run() -> Outcome:
        return Outcome(outcome, entry)

    return run
