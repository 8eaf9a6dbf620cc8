"""The Upsales app configuration is generated from the settings model and rules: the same
fields, the same choices, required where the rules require, and hooks the service accepts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from upsales_fortnox.core.texts import CATALOGUE, say
from upsales_fortnox.domain.settings_rules import (
    ProblemCode,
    SettingsDraft,
    settings_problems,
)
from upsales_fortnox.installations.app_config import HOOK_TYPES, upsales_app_config
from upsales_fortnox.installations.settings_schemas import SettingsDocument
from upsales_fortnox.intake.hook_answers import ResponderRegistry
from upsales_fortnox.intake.parse import UpsalesChange, parse_upsales_app_hook

VALID = SettingsDraft(
    sync_type="order_offer",
    placeholder_user=4,
    won_stage=10,
    lost_stage=11,
    offer_stage=12,
    price_list="A",
    product_bundles="onlyBundle",
)
ATTRIBUTE = {(f.alias or name): name for name, f in SettingsDocument.model_fields.items()}


def _config() -> dict[str, Any]:
    return upsales_app_config(
        "https://sync.example.com/", "client-1", "inst-1", "https://sync.example.com/login"
    )


def _fields() -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in _config()["configJson"]["fields"]["account"]}


def test_one_field_per_setting_after_the_login_button() -> None:
    account = _config()["configJson"]["fields"]["account"]
    assert account[0]["type"] == "oauth" and account[0]["buttonLabel"] == "Logga in i Fortnox"
    assert account[0]["callbackUri"] == "https://sync.example.com/oauth/fortnox/callback"
    assert [item["name"] for item in account[1:]] == list(ATTRIBUTE)
    assert set(ATTRIBUTE) == set(SettingsDocument.model_validate({}).model_dump(by_alias=True))


def test_every_text_the_account_admin_reads_comes_from_the_catalogue_in_swedish() -> None:
    login, *settings = _config()["configJson"]["fields"]["account"]
    assert (login["label"], login["buttonLabel"]) == (
        say("app.login_label"),
        say("app.login_button"),
    )
    for field in settings:
        name = field["name"]
        assert field["label"] == say(f"setting.{name}.label")
        assert field["descriptionLong"] == say(f"setting.{name}.help")
        for value in field.get("values", []):
            assert value["name"] == say(f"setting.value.{value['value']}")


def test_the_catalogue_holds_no_setting_text_the_configuration_does_not_show() -> None:
    shown = set()
    for field in _fields().values():
        if field["type"] != "oauth":
            shown |= {f"setting.{field['name']}.label", f"setting.{field['name']}.help"}
        shown |= {f"setting.value.{value['value']}" for value in field.get("values", [])}
    assert {key for key in CATALOGUE if key.startswith("setting.")} == shown


@pytest.mark.parametrize("name", list(ATTRIBUTE))
def test_required_matches_the_rules(name: str) -> None:
    plain = replace(VALID, sync_type="invoice", offer_stage=None)
    without = replace(plain, **{ATTRIBUTE[name]: None})
    refused = {(p.field, p.code) for p in settings_problems(without)}
    assert _fields()[name]["required"] == ((name, ProblemCode.REQUIRED) in refused)


def test_the_offer_stage_depends_on_the_sync_type_that_requires_it() -> None:
    (dependency,) = _fields()["offerStage"]["dependencies"]
    requiring = replace(VALID, sync_type=dependency["value"], offer_stage=None)
    assert ("offerStage", ProblemCode.REQUIRED) in {
        (p.field, p.code) for p in settings_problems(requiring)
    }


@pytest.mark.parametrize("name", ["syncType", "productBundles"])
def test_every_offered_value_is_valid_and_every_valid_value_offered(name: str) -> None:
    offered = [value["value"] for value in _fields()[name]["values"]]
    assert offered
    for value in offered:
        draft = replace(VALID, **{ATTRIBUTE[name]: value})
        assert [p for p in settings_problems(draft) if p.field == name] == []
    schema = SettingsDocument.model_json_schema(by_alias=True)["properties"][name]
    assert set(offered) == set(schema["enum"]) - {None}  # null: never configured, no choice
    wrong = replace(VALID, **{ATTRIBUTE[name]: "not-" + offered[0]})
    assert any(p.field == name for p in settings_problems(wrong))


def test_the_price_list_comes_live_from_fortnox() -> None:
    price_list = _fields()["priceList"]
    assert price_list["externalValues"] is True
    assert price_list["externalValuesUrl"] == (
        "https://sync.example.com/webhooks/upsales/inst-1/choices/price-lists"
    )


def test_every_hook_is_one_the_service_acts_on() -> None:
    config = _config()
    assert config["standardIntegrationInit"] == list(HOOK_TYPES)
    assert [hook["url"] for hook in config["hooks"]] == [
        f"https://sync.example.com/webhooks/upsales/inst-1/{hook}" for hook in HOOK_TYPES
    ]
    from upsales_fortnox.sync.registry import build_responder_registry

    answered: ResponderRegistry = build_responder_registry(None)  # type: ignore[arg-type]
    for hook in HOOK_TYPES:
        body = {"type": hook, "apiKey": "k", "data": {"object": {"id": 1}, "obj": {"id": 1}}}
        parsed = parse_upsales_app_hook(body)
        assert isinstance(parsed, UpsalesChange) or answered.get(hook) is not None, hook


@pytest.mark.parametrize("name", ["paymentStatus", "creditInvoices"])
def test_the_money_settings_are_checkboxes_off_by_default(name: str) -> None:
    field = _fields()[name]
    assert (field["type"], field["defaultValue"], field["required"]) == ("checkbox", False, False)
    assert SettingsDocument.model_validate({name: True}).to_draft() == replace(
        SettingsDraft(), **{ATTRIBUTE[name]: True}
    )


def test_the_configurations_login_link_outlives_a_day_until_its_chosen_expiry() -> None:
    import uuid
    from datetime import UTC, datetime, timedelta

    from upsales_fortnox.activation.errors import ActivationError
    from upsales_fortnox.activation.login_link import (
        APP_CONFIG_LOGIN_LINK_LIFETIME,
        LoginLinkSigner,
    )

    signer = LoginLinkSigner("k" * 32)
    installation = uuid.uuid4()
    minted = datetime(2026, 1, 1, tzinfo=UTC)
    token = signer.token(installation, now=minted, lifetime=APP_CONFIG_LOGIN_LINK_LIFETIME)

    signer.verify(token, installation, now=minted + timedelta(days=300))  # still valid
    with pytest.raises(ActivationError) as expired:
        signer.verify(token, installation, now=minted + APP_CONFIG_LOGIN_LINK_LIFETIME)
    assert expired.value.code == "login_link_expired"
    with pytest.raises(ActivationError):
        signer.verify(token, uuid.uuid4(), now=minted)  # bound to its installation
    daily = signer.token(installation, now=minted)
    with pytest.raises(ActivationError):
        signer.verify(daily, installation, now=minted + timedelta(days=2))


def test_the_lost_stage_help_names_what_moves_a_deal_there() -> None:
    """The admin picks the lost stage by its help: a cancelled (makulerad) order or invoice
    and a fully credited invoice move the deal there (DESIGN sync rules; the credits module),
    not every credited invoice (a partial credit leaves it won)."""
    help_text = _fields()["lostStage"]["descriptionLong"]
    assert "makulerad" in help_text
    assert "helt krediterad" in help_text
