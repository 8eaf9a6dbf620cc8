"""The Upsales app's configuration, generated from the settings model the service validates.

``configJson.fields.account[]`` (reference upsales.md §5) lists what an account admin fills in
when installing the app: the Fortnox login button, then one field per setting of
:class:`~upsales_fortnox.installations.settings_schemas.SettingsDocument` (same names,
the same choices, required as the rules require), and the app hooks with the URLs they are
sent to. Its labels, help texts and choice names are the text catalogue's, in Swedish
(:mod:`upsales_fortnox.core.texts.setting_texts`). Built from the model and the rules, so
the two cannot drift; a test holds them together.

The hook URLs carry the installation id (one per account) and the hook type, one URL per type;
the service takes the type from the body's ``type`` or, failing that, from the path. The
``priceList`` choices are read from a route Upsales itself can call, authenticated by the
customer's API key (:mod:`upsales_fortnox.installations.app_choices_router`), not from the
operator API. The
login button opens a login link minted for the configuration's life (``login_url``; see
:data:`~upsales_fortnox.activation.login_link.APP_CONFIG_LOGIN_LINK_LIFETIME`).
"""

from __future__ import annotations

from typing import Any, Final

from upsales_fortnox.activation.login import CALLBACK_PATH
from upsales_fortnox.core.texts import say
from upsales_fortnox.domain.settings_rules import (
    ProblemCode,
    SettingsDraft,
    settings_problems,
)
from upsales_fortnox.installations.app_choices_router import PRICE_LISTS_PATH
from upsales_fortnox.installations.settings_schemas import SettingsDocument
from upsales_fortnox.intake.routing import UPSALES_ROUTES, UPSALES_SYNCHRONOUS_EVENTS
from upsales_fortnox.vocabulary import SyncType

#: The app hooks the service acts on (``standardIntegrationInit``), read from the intake's own
#: routing: the after-events queue a sync, the questions are answered at once.
HOOK_TYPES: Final = (*UPSALES_ROUTES, *sorted(UPSALES_SYNCHRONOUS_EVENTS))

#: The Upsales field type of each setting; its label, help and choices are catalogue texts
#: (``setting.<name>.label``, ``setting.<name>.help``, ``setting.value.<value>``), in Swedish.
_FIELD_TYPES: Final[dict[str, str]] = {
    "syncType": "select",
    "placeholderUser": "upsalesUser",
    "wonStage": "upsalesOrderStage",
    "lostStage": "upsalesOrderStage",
    "offerStage": "upsalesOrderStage",
    "priceList": "select",
    "productBundles": "select",
    # --- payments and credits ---
    "paymentStatus": "checkbox",
    "creditInvoices": "checkbox",
    # --- documents and stock (issue 11, parts 3-5) ---
    "documentLinks": "checkbox",
    "stockLevels": "checkbox",
    "currencyPriceLists": "text",
    # --- end documents and stock ---
}

#: Settings whose choices are read live from Fortnox (``externalValues``), by the path under
#: the installation's Upsales hook URL.
_LIVE_CHOICES: Final = {"priceList": PRICE_LISTS_PATH}


def setting_names() -> list[str]:
    """The settings' field names as the app and the API name them, in the model's order."""
    return [field.alias or name for name, field in SettingsDocument.model_fields.items()]


def _required_settings() -> set[str]:
    """The settings the rules require for every sync type (asked of the rules themselves)."""
    missing = settings_problems(SettingsDraft())
    return {p.field for p in missing if p.code == ProblemCode.REQUIRED}


def _enum_values(name: str) -> list[str] | None:
    extra = SettingsDocument.model_fields[_attribute(name)].json_schema_extra
    values = extra.get("enum") if isinstance(extra, dict) else None
    # The enum lists null too (an installation never configured reads all null): not a choice.
    return [str(v) for v in values if v is not None] if isinstance(values, list) else None


def _attribute(alias: str) -> str:
    for name, field in SettingsDocument.model_fields.items():
        if (field.alias or name) == alias:
            return name
    raise KeyError(alias)


def _setting_field(name: str, required: set[str], choices_base: str) -> dict[str, Any]:
    field_type = _FIELD_TYPES[name]
    item: dict[str, Any] = {
        "name": name,
        "type": field_type,
        "label": say(f"setting.{name}.label"),
        "descriptionLong": say(f"setting.{name}.help"),
        "required": name in required,
    }
    values = _enum_values(name)
    if values is not None:
        item["values"] = [{"name": say(f"setting.value.{v}"), "value": v} for v in values]
    if name in _LIVE_CHOICES:
        item["externalValues"] = True
        item["externalValuesUrl"] = f"{choices_base}{_LIVE_CHOICES[name]}"
    if field_type == "checkbox":
        item["defaultValue"] = False
    if name == "offerStage":
        item["dependencies"] = [{"field": "syncType", "value": SyncType.ORDER_OFFER.value}]
    return item


def upsales_app_config(
    public_base_url: str, fortnox_client_id: str, installation: str, login_url: str
) -> dict[str, Any]:
    """The app's ``configJson`` and hooks for one installation (``installation``: its id)."""
    base = public_base_url.rstrip("/")
    required = _required_settings()
    choices_base = f"{base}/webhooks/upsales/{installation}"
    login = {
        "name": "oauth",
        "type": "oauth",
        "label": say("app.login_label"),
        "buttonLabel": say("app.login_button"),
        "endpoint": login_url,
        "clientId": fortnox_client_id,
        "callbackUri": f"{base}{CALLBACK_PATH}",
        "required": True,
    }
    fields = [login, *(_setting_field(name, required, choices_base) for name in setting_names())]
    hooks_base = f"{base}/webhooks/upsales/{installation}"
    return {
        "configJson": {"fields": {"account": fields}},
        "standardIntegrationInit": list(HOOK_TYPES),
        "hooks": [{"type": hook, "url": f"{hooks_base}/{hook}"} for hook in HOOK_TYPES],
    }
