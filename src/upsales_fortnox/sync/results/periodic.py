"""The results of the periodic jobs that find what no event brought in: ``reconcile``
(Fortnox) and ``upsales.reconcile`` (the Upsales catch-up)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from upsales_fortnox.jobs.results import JsonObject, ResultShapeError, counts, moment, section


def _section(data: Mapping[str, object], key: str) -> Mapping[str, object]:
    found = section(data, key)
    if found is None:
        raise ResultShapeError(f"{key} is missing")
    return found


@dataclass(frozen=True)
class ReconcileResult:
    """A ``reconcile`` job: the change events fed per topic (and per payment check), the
    deletion events per swept topic, and the moment the run looked up to."""

    changed: Mapping[str, int]
    deleted: Mapping[str, int]
    until: datetime

    outcome = None

    def to_json(self) -> JsonObject:
        changed: JsonObject = dict(self.changed)
        deleted: JsonObject = dict(self.deleted)
        return {"changed": changed, "deleted": deleted, "until": self.until.isoformat()}

    def named_ids(self) -> dict[str, int | str]:
        return {}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ReconcileResult:
        return cls(
            counts(_section(data, "changed")),
            counts(_section(data, "deleted")),
            moment(data, "until"),
        )


@dataclass(frozen=True)
class TopicCatchUp:
    """One topic of a catch-up run: its window's start and the count of each verdict (and of
    the rows ``listed`` and the events ``recorded``)."""

    since: datetime
    counts: Mapping[str, int]

    def to_json(self) -> JsonObject:
        return {"since": self.since.isoformat(), **dict(sorted(self.counts.items()))}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> TopicCatchUp:
        found = {key: value for key, value in data.items() if key != "since"}
        return cls(moment(data, "since"), counts(found))


@dataclass(frozen=True)
class CatchUpResult:
    """An ``upsales.reconcile`` job: the orders and accounts changed since each topic's
    checkpoint, and the run's start (the topics' next checkpoint)."""

    until: datetime
    orders: TopicCatchUp
    accounts: TopicCatchUp

    outcome = None

    def to_json(self) -> JsonObject:
        return {
            "until": self.until.isoformat(),
            "orders": self.orders.to_json(),
            "accounts": self.accounts.to_json(),
        }

    def named_ids(self) -> dict[str, int | str]:
        return {}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> CatchUpResult:
        return cls(
            moment(data, "until"),
            TopicCatchUp.from_json(_section(data, "orders")),
            TopicCatchUp.from_json(_section(data, "accounts")),
        )
