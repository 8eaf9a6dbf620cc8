"""The rules an installation's sync settings must satisfy, as pure functions.

Field names in messages are the app's configuration names (``syncType``, ``wonStage`` …).

Choices where the app's form leaves room (documented here, relied on by the sync):

- ``syncType``, ``wonStage`` and ``lostStage`` are required; ``wonStage`` and ``lostStage`` differ.
- ``productBundles`` defaults to ``onlyBundle`` when left out.
- ``offerStage`` is required with ``syncType`` ``order_offer`` and must differ from the won and
  lost stages. With any other sync type it is refused (``not_used``) rather than dropped, so
  nobody believes an offer stage is in use when it is not; null or left out is fine.
- ``placeholderUser`` is optional; without it a Fortnox document whose reference names no known
  user keeps the user Upsales assigns by default.
- ``priceList`` is optional; without it prices come from the Fortnox price list marked as
  pre-selected (the company's default).
- Stage and user ids are positive integers that fit the 32-bit id columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from upsales_fortnox.domain.currency import HOME_CURRENCY
from upsales_fortnox.integrations.fortnox.facts import PRICE_LIST_CODE_PATTERN
from upsales_fortnox.vocabulary import ProductBundleMode, SyncType

MAX_ID = 2_147_483_647
"""Largest id an Upsales stage or user can have here (the columns are 32-bit integers)."""

DEFAULT_PRODUCT_BUNDLES = ProductBundleMode.ONLY_BUNDLE


class ProblemCode(StrEnum):
    REQUIRED = "required"
    INVALID_CHOICE = "invalid_choice"
    NOT_POSITIVE_INTEGER = "not_positive_integer"
    MUST_DIFFER = "must_differ"
    INVALID_PRICE_LIST_CODE = "invalid_price_list_code"
    INVALID_CURRENCY = "invalid_currency"
    NOT_USED = "not_used"
    """The chosen ``syncType`` does not use the field (``offerStage`` without offers)."""
    UNKNOWN_REFERENCE = "unknown_reference"
    """Used by a live reference check: the id does not exist in Upsales or Fortnox."""
    WRONG_STAGE_PROBABILITY = "wrong_stage_probability"
    """Used by a live reference check: the stage exists but its probability does not fit
    (won 100 %, lost 0 %, offer 1-99 %)."""


@dataclass(frozen=True)
class SettingsProblem:
    """One broken rule. ``field`` is the app's field name, ``code`` a stable machine code."""

    field: str
    code: str
    message: str


class InvalidSettings(Exception):
    """The settings break one or more rules; nothing may be stored."""

    def __init__(self, problems: list[SettingsProblem]) -> None:
        super().__init__("; ".join(f"{problem.field}: {problem.message}" for problem in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class SettingsDraft:
    """Settings as submitted, before the rules are applied (any field may be missing)."""

    sync_type: str | None = None
    placeholder_user: int | None = None
    won_stage: int | None = None
    lost_stage: int | None = None
    offer_stage: int | None = None
    price_list: str | None = None
    product_bundles: str | None = None
    # --- payments and credits ---
    payment_status: bool | None = None
    credit_invoices: bool | None = None
    # --- documents and stock (issue 11, parts 3-5) ---
    document_links: bool | None = None
    stock_levels: bool | None = None
    currency_price_lists: dict[str, str] | None = None
    # --- end documents and stock ---


@dataclass(frozen=True)
class ValidSettings:
    """Settings that satisfy every rule, ready to store."""

    sync_type: SyncType
    placeholder_user: int | None
    won_stage: int
    lost_stage: int
    offer_stage: int | None
    price_list: str | None
    product_bundles: ProductBundleMode
    # --- payments and credits (default off) ---
    payment_status: bool = False
    credit_invoices: bool = False
    # --- documents and stock (issue 11, parts 3-5); off when left out ---
    document_links: bool = False
    stock_levels: bool = False
    currency_price_lists: dict[str, str] | None = None
    # --- end documents and stock ---


def _is_positive_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _choice_problem(field: str, allowed: list[str]) -> SettingsProblem:
    return SettingsProblem(
        field, ProblemCode.INVALID_CHOICE, f"must be one of {', '.join(allowed)}"
    )


#: Where the valid ids of each id setting are listed (operator API, under the installation).
CHOICES_ROUTES = {
    "placeholderUser": "choices/users",
    "wonStage": "choices/order-stages",
    "lostStage": "choices/order-stages",
    "offerStage": "choices/order-stages",
    "priceList": "choices/price-lists",
}


def _id_problems(field: str, value: int | None, *, required: bool) -> list[SettingsProblem]:
    where = f"; GET /api/installations/{{id}}/{CHOICES_ROUTES[field]} lists the valid ones"
    if value is None:
        if required:
            return [SettingsProblem(field, ProblemCode.REQUIRED, "is required" + where)]
        return []
    if not _is_positive_id(value):
        return [
            SettingsProblem(
                field,
                ProblemCode.NOT_POSITIVE_INTEGER,
                f"must be a positive integer id (at most {MAX_ID})" + where,
            )
        ]
    return []


def _sync_type(draft: SettingsDraft, problems: list[SettingsProblem]) -> SyncType | None:
    if draft.sync_type is None:
        allowed = ", ".join(t.value for t in SyncType)
        problems.append(
            SettingsProblem("syncType", ProblemCode.REQUIRED, f"is required: one of {allowed}")
        )
        return None
    try:
        return SyncType(draft.sync_type)
    except ValueError:
        problems.append(_choice_problem("syncType", [t.value for t in SyncType]))
        return None


def _product_bundles(
    draft: SettingsDraft, problems: list[SettingsProblem]
) -> ProductBundleMode | None:
    if draft.product_bundles is None:
        return DEFAULT_PRODUCT_BUNDLES
    try:
        return ProductBundleMode(draft.product_bundles)
    except ValueError:
        allowed = [mode.value for mode in ProductBundleMode]
        problems.append(_choice_problem("productBundles", allowed))
        return None


def _price_list_problems(price_list: str | None) -> list[SettingsProblem]:
    if price_list is None or PRICE_LIST_CODE_PATTERN.fullmatch(price_list):
        return []
    return [
        SettingsProblem(
            "priceList",
            ProblemCode.INVALID_PRICE_LIST_CODE,
            "must be a Fortnox price-list code: 1 to 50 letters or digits; GET "
            "/api/installations/{id}/choices/price-lists lists the valid ones",
        )
    ]


def _stage_difference_problems(
    won: int | None, lost: int | None, offer: int | None
) -> list[SettingsProblem]:
    problems = []
    if won is not None and won == lost:
        problems.append(
            SettingsProblem("lostStage", ProblemCode.MUST_DIFFER, "must differ from wonStage")
        )
    if offer is not None and offer in (won, lost):
        problems.append(
            SettingsProblem(
                "offerStage", ProblemCode.MUST_DIFFER, "must differ from wonStage and lostStage"
            )
        )
    return problems


def settings_problems(draft: SettingsDraft) -> list[SettingsProblem]:
    """Every rule the draft breaks, in field order; empty when it is valid."""
    problems: list[SettingsProblem] = []
    sync_type = _sync_type(draft, problems)
    uses_offers = sync_type is SyncType.ORDER_OFFER
    problems += _id_problems("placeholderUser", draft.placeholder_user, required=False)
    problems += _id_problems("wonStage", draft.won_stage, required=True)
    problems += _id_problems("lostStage", draft.lost_stage, required=True)
    if uses_offers:
        problems += _id_problems("offerStage", draft.offer_stage, required=True)
    elif sync_type is not None and draft.offer_stage is not None:
        problems.append(
            SettingsProblem(
                "offerStage",
                ProblemCode.NOT_USED,
                f"is used only with syncType {SyncType.ORDER_OFFER.value}; with syncType "
                f"{sync_type.value} leave it out (or null)",
            )
        )
    problems += _price_list_problems(draft.price_list)
    problems += currency_price_list_problems(draft.currency_price_lists)
    _product_bundles(draft, problems)
    offer_stage = draft.offer_stage if uses_offers else None
    problems += _stage_difference_problems(draft.won_stage, draft.lost_stage, offer_stage)
    return problems


def validate_settings(draft: SettingsDraft) -> ValidSettings:
    """The draft as valid settings, or :class:`InvalidSettings` listing every broken rule."""
    problems = settings_problems(draft)
    if problems:
        raise InvalidSettings(problems)
    assert draft.sync_type is not None
    assert draft.won_stage is not None and draft.lost_stage is not None
    sync_type = SyncType(draft.sync_type)
    return ValidSettings(
        sync_type=sync_type,
        placeholder_user=draft.placeholder_user,
        won_stage=draft.won_stage,
        lost_stage=draft.lost_stage,
        offer_stage=draft.offer_stage if sync_type is SyncType.ORDER_OFFER else None,
        price_list=draft.price_list,
        product_bundles=ProductBundleMode(draft.product_bundles or DEFAULT_PRODUCT_BUNDLES),
        payment_status=bool(draft.payment_status),
        credit_invoices=bool(draft.credit_invoices),
        document_links=bool(draft.document_links),
        stock_levels=bool(draft.stock_levels),
        currency_price_lists=_normal_currency_lists(draft.currency_price_lists),
    )


# --- documents and stock (issue 11, parts 3-5) ---
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def _normal_currency_lists(lists: dict[str, str] | None) -> dict[str, str] | None:
    if not lists:
        return None
    return {code.upper(): price_list for code, price_list in lists.items()}


def currency_price_list_problems(lists: dict[str, str] | None) -> list[SettingsProblem]:
    """``currencyPriceLists``: ISO codes of currencies other than SEK (whose prices come from
    ``priceList``), each mapped to a Fortnox price-list code, each currency once (in any
    case: ``eur`` and ``EUR`` are one currency)."""
    problems = []
    seen: set[str] = set()
    for code, price_list in (lists or {}).items():
        if code.upper() in seen:
            problems.append(
                SettingsProblem(
                    "currencyPriceLists",
                    ProblemCode.INVALID_CURRENCY,
                    f"{code!r}: the currency {code.upper()} is given more than once",
                )
            )
        seen.add(code.upper())
        if not _CURRENCY_CODE.fullmatch(code.upper()) or code.upper() == HOME_CURRENCY:
            problems.append(
                SettingsProblem(
                    "currencyPriceLists",
                    ProblemCode.INVALID_CURRENCY,
                    f"{code!r} must be the ISO code of a currency other than SEK (SEK prices "
                    "come from priceList)",
                )
            )
        elif not PRICE_LIST_CODE_PATTERN.fullmatch(price_list):
            problems.append(
                SettingsProblem(
                    "currencyPriceLists",
                    ProblemCode.INVALID_PRICE_LIST_CODE,
                    f"{code}: must be a Fortnox price-list code (1 to 50 letters or digits)",
                )
            )
    return problems


# --- end documents and stock ---
