"""Three-way merge of company fields changed on both sides (pure).

The link stores the fields as last synced (the *base*). Against it, each field is:

* equal on both sides: in sync;
* changed in Upsales only: written to Fortnox;
* changed in Fortnox only: written to Upsales (by the Fortnox → Upsales sync);
* changed on both sides to different values: a conflict, and **Fortnox wins** (it is the
  accounting record): the Fortnox value goes to Upsales and nothing is written to Fortnox;
* without a base (a link made before fields were recorded, or a field synced for the first
  time): the side named by ``without_base`` wins, except that an empty value never wins over a
  filled one (it carries no information without a base), and that a field which went only from
  Fortnox to Upsales when the link was made (``fortnox_first``) is recorded as the two sides
  have it (agreed to differ), so neither overwrites the other until one of them is edited;
* a customer unchanged since the last sync (``fortnox_unchanged``) has changed no field: where
  it differs from the base, the link was made with that difference, and an Upsales edit is sent.

``synced`` is the new base once the Fortnox writes are made: agreed fields and fields written to
Fortnox take their new value; fields waiting for the Upsales side keep their old base value, so
the other direction still sees them as changed in Fortnox.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal

from upsales_fortnox.domain.outbound.company import SYNCED_BOTH_WAYS_SINCE_2026_12

FieldValues = Mapping[str, str | None]


@dataclass(frozen=True)
class MergePlan:
    to_fortnox: dict[str, str | None] = field(default_factory=dict)
    to_upsales: dict[str, str | None] = field(default_factory=dict)
    conflicts: tuple[str, ...] = ()
    synced: dict[str, str | None] = field(default_factory=dict)


def three_way_merge(
    base: FieldValues | None,
    upsales: FieldValues,
    fortnox: FieldValues,
    *,
    without_base: Literal["upsales", "fortnox"] = "upsales",
    fortnox_unchanged: bool = False,
    fortnox_first: Collection[str] = SYNCED_BOTH_WAYS_SINCE_2026_12,
    fortnox_holds: Collection[str] = (),
) -> MergePlan:
    """Merge the fields present in ``upsales`` (the fields this installation syncs).

    ``fortnox_unchanged``: the customer is as it was at the last sync (its fingerprint is the
    link's), so a field on which Fortnox differs from the base differed when the link was made
    (the sides agreed to differ: a linked customer keeps its own data) and is no change made in
    Fortnox; an Upsales edit of it is sent. ``fortnox_first``: fields a base without them (a
    link from before they were synced both ways) takes as they are on both sides, sending
    nothing, unless Fortnox has none (then Upsales' fills it) and the field is not one of
    ``fortnox_holds`` (a field of an address Fortnox has: the address is taken as it is)."""
    to_fortnox: dict[str, str | None] = {}
    to_upsales: dict[str, str | None] = {}
    conflicts: list[str] = []
    synced: dict[str, str | None] = {}
    for name, upsales_value in upsales.items():
        fortnox_value = fortnox.get(name)
        if upsales_value == fortnox_value:
            synced[name] = upsales_value
            continue
        if base is None or name not in base:
            held = fortnox_value is not None or name in fortnox_holds
            if base is not None and name in fortnox_first and held:
                # a link from before the field synced both ways: neither side's value is known
                # to be the newer, so the two are recorded as they are (agreed to differ) and
                # nothing is sent; an edit on either side from now on syncs
                synced[name] = upsales_value
                continue
            upsales_wins = without_base == "upsales"
            if upsales_value is None or fortnox_value is None:
                upsales_wins = fortnox_value is None
            if upsales_wins:
                to_fortnox[name] = upsales_value
                synced[name] = upsales_value
            else:
                to_upsales[name] = fortnox_value
            continue
        base_value = base[name]
        synced[name] = base_value
        upsales_changed = upsales_value != base_value
        fortnox_changed = fortnox_value != base_value and not fortnox_unchanged
        if upsales_changed and not fortnox_changed:
            to_fortnox[name] = upsales_value
            synced[name] = upsales_value
        elif fortnox_changed:
            to_upsales[name] = fortnox_value
            if upsales_changed:
                conflicts.append(name)
    return MergePlan(to_fortnox, to_upsales, tuple(conflicts), synced)


def waiting_for_fortnox(
    base: FieldValues | None, upsales: FieldValues, fortnox: FieldValues
) -> frozenset[str]:
    """Fields changed in Upsales since the base and not in Fortnox: the Upsales → Fortnox sync
    is to send them, so the Fortnox → Upsales sync leaves them as they are."""
    if base is None:
        return frozenset()
    return frozenset(
        name
        for name, value in upsales.items()
        if name in base and value != base[name] and fortnox.get(name) == base[name]
    )


def base_after_upsales_write(
    base: FieldValues | None, upsales: FieldValues, fortnox: FieldValues
) -> dict[str, str | None]:
    """The base once the Fortnox → Upsales sync has written the company (``upsales``, as
    written): a field equal on both sides is in sync; one that still differs keeps its base
    value, so the next merge still sees which side changed it (without one, the company's
    value: a difference the link was made with is the customer's, as when a deal's company is
    matched to a customer, and is never sent to Fortnox as an edit made in Upsales)."""
    return {
        name: value
        if value == fortnox.get(name) or base is None or name not in base
        else base[name]
        for name, value in upsales.items()
    }
