"""The rules settings must satisfy against what the live systems list, as pure functions.

The live check (:class:`upsales_fortnox.installations.choices_router.LiveReferenceCheck`) reads
the choices and
hands them here: every id must be among them (``unknown_reference``), and the stages must mean
what their field says (``wrong_stage_probability``): ``wonStage`` a stage at 100 %,
``lostStage`` one at 0 %, ``offerStage`` an open one (1-99 %). Each message lists the valid
choices, so the person fixing the settings need not look them up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from upsales_fortnox.domain.settings_rules import (
    ProblemCode,
    SettingsProblem,
    ValidSettings,
)

#: How many choices a message lists before it says "…".
MAX_LISTED_CHOICES = 10


@dataclass(frozen=True)
class Choice:
    """One thing a setting may name: its id (or code) and a label for people."""

    key: int | str
    label: str | None = None

    def describe(self) -> str:
        return f"{self.key} ({self.label})" if self.label else str(self.key)


@dataclass(frozen=True)
class StageOption:
    id: int
    name: str | None
    probability: int | None

    def describe(self) -> str:
        percent = "?" if self.probability is None else str(self.probability)
        return f"{self.id} ({self.name or 'unnamed'}, {percent} %)"


_STAGE_RULES: Mapping[str, tuple[str, Callable[[int], bool]]] = {
    "wonStage": ("a stage at 100 %", lambda p: p == 100),
    "lostStage": ("a stage at 0 %", lambda p: p == 0),
    "offerStage": ("an open stage (1-99 %)", lambda p: 0 < p < 100),
}


def listing(descriptions: Sequence[str]) -> str:
    """``a, b, c`` (at most :data:`MAX_LISTED_CHOICES`), or ``none`` when there are none."""
    if not descriptions:
        return "none"
    shown = ", ".join(descriptions[:MAX_LISTED_CHOICES])
    return shown + (", …" if len(descriptions) > MAX_LISTED_CHOICES else "")


def stage_problems(settings: ValidSettings, stages: Sequence[StageOption]) -> list[SettingsProblem]:
    """Problems with the stage settings against the account's stages."""
    by_id = {stage.id: stage for stage in stages}
    chosen = {
        "wonStage": settings.won_stage,
        "lostStage": settings.lost_stage,
        "offerStage": settings.offer_stage,
    }
    problems = []
    for field, stage_id in chosen.items():
        if stage_id is None:
            continue
        wanted, fits = _STAGE_RULES[field]
        fitting = [
            s.describe() for s in stages if s.probability is not None and fits(s.probability)
        ]
        stage = by_id.get(stage_id)
        if stage is None:
            problems.append(
                SettingsProblem(
                    field,
                    ProblemCode.UNKNOWN_REFERENCE,
                    f"{stage_id} is not an Upsales order stage; {wanted} is one of: "
                    f"{listing(fitting)}",
                )
            )
        elif stage.probability is None or not fits(stage.probability):
            problems.append(
                SettingsProblem(
                    field,
                    ProblemCode.WRONG_STAGE_PROBABILITY,
                    f"stage {stage.describe()} is not {wanted}; choose one of: {listing(fitting)}",
                )
            )
    return problems


def unknown_problem(
    field: str, value: int | str | None, choices: Sequence[Choice], what: str
) -> list[SettingsProblem]:
    """A problem when ``value`` is set and not among ``choices``."""
    if value is None or value in {choice.key for choice in choices}:
        return []
    valid = listing([choice.describe() for choice in choices])
    return [
        SettingsProblem(
            field, ProblemCode.UNKNOWN_REFERENCE, f"{value} is not {what}; choose one of: {valid}"
        )
    ]


def currency_list_problems(
    lists: Mapping[str, str] | None, choices: Sequence[Choice]
) -> list[SettingsProblem]:
    """``currencyPriceLists``: each currency's price list must be one Fortnox lists (one problem
    naming every currency whose list it does not)."""
    known = {choice.key for choice in choices}
    given = (lists or {}).items()
    unknown = [f"{currency}: {code}" for currency, code in given if code not in known]
    if not unknown:
        return []
    valid = listing([choice.describe() for choice in choices])
    return [
        SettingsProblem(
            "currencyPriceLists",
            ProblemCode.UNKNOWN_REFERENCE,
            f"{', '.join(unknown)} is not a Fortnox price list; choose one of: {valid}",
        )
    ]
