"""Reading a stored job result back as its kind's type."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from upsales_fortnox.domain.initial_progress import SyncProgress
from upsales_fortnox.jobs.results import JobResult, JsonObject, MergedInto, ResultShapeError
from upsales_fortnox.sync.results.inbound import (
    ArticleSyncResult,
    CustomerSyncResult,
    DocumentSyncResult,
    ExtrasRefreshResult,
    PaymentSyncResult,
    RepriceResult,
)
from upsales_fortnox.sync.results.order_refresh import OrderFieldsRefreshResult
from upsales_fortnox.sync.results.outbound import CompanySyncResult, WonDealResult
from upsales_fortnox.sync.results.periodic import CatchUpResult, ReconcileResult
from upsales_fortnox.vocabulary import JobKind


class ReadResult(JobResult, Protocol):
    """A stored result, read: how the job ended, and the records it names."""

    @property
    def outcome(self) -> str | None:
        """What the job did, in its kind's words; None for a kind that records none."""

    def named_ids(self) -> dict[str, int | str]:
        """The ids of the records it names, by result key (``upsales_order``, ...)."""


@dataclass(frozen=True)
class InitialSyncRead:
    """An ``initial_sync`` job's result: the import's last checkpoint; it names no record."""

    progress: SyncProgress

    outcome = None

    def to_json(self) -> JsonObject:
        return self.progress.to_json()

    def named_ids(self) -> dict[str, int | str]:
        return {}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> InitialSyncRead:
        try:
            progress = SyncProgress.from_payload(dict(data))
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultShapeError(f"not an initial sync's progress: {exc}") from exc
        if progress is None:
            raise ResultShapeError("not an initial sync's progress")
        return cls(progress)


Reader = Callable[[Mapping[str, object]], ReadResult]

READERS: Final[Mapping[str, Reader]] = {
    JobKind.UPSALES_ORDER: WonDealResult.from_json,
    JobKind.UPSALES_COMPANY: CompanySyncResult.from_json,
    JobKind.UPSALES_CATCH_UP: CatchUpResult.from_json,
    JobKind.FORTNOX_CUSTOMER: CustomerSyncResult.from_json,
    JobKind.FORTNOX_ARTICLE: ArticleSyncResult.from_json,
    JobKind.FORTNOX_ORDER: DocumentSyncResult.from_json,
    JobKind.FORTNOX_INVOICE: DocumentSyncResult.from_json,
    JobKind.FORTNOX_OFFER: DocumentSyncResult.from_json,
    JobKind.FORTNOX_INVOICE_PAYMENT: PaymentSyncResult.from_json,
    JobKind.FORTNOX_INVOICE_PAYMENT_DELETED: PaymentSyncResult.from_json,
    JobKind.FORTNOX_RECONCILE: ReconcileResult.from_json,
    JobKind.REPRICE_PRODUCTS: RepriceResult.from_json,
    JobKind.REFRESH_PRODUCT_EXTRAS: ExtrasRefreshResult.from_json,
    JobKind.REFRESH_ORDER_FIELDS: OrderFieldsRefreshResult.from_json,
    JobKind.INITIAL_SYNC: InitialSyncRead.from_json,
}
"""The result type of each job kind, by its reader."""


def read_result(kind: str, stored: Mapping[str, object] | None) -> ReadResult | None:
    """The stored result of a job of ``kind`` as its type (or as :class:`MergedInto`).

    None when there is none, for a kind without a type, and for a result its type does not
    reproduce exactly (one of another shape): such a result is plain JSON to its reader.
    """
    if stored is None:
        return None
    readers: list[Reader] = [MergedInto.from_json]
    if kind in READERS:
        readers.append(READERS[kind])
    for read in readers:
        try:
            result = read(stored)
        except ResultShapeError:
            continue
        if result.to_json() == stored:
            return result
    return None
