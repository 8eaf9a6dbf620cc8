"""Which installations a tenant update of the Fortnox stream adds and removes (pure)."""

from __future__ import annotations

import uuid

from upsales_fortnox.intake.fortnox_stream.followed import tenant_changes
from upsales_fortnox.intake.fortnox_stream.recording import StreamTenant

FOLLOWED = StreamTenant(uuid.uuid4(), "100")
NEW = StreamTenant(uuid.uuid4(), "200")


def test_an_active_installation_without_a_readable_token_stays_followed() -> None:
    fresh, gone = tenant_changes({"100": FOLLOWED}, {FOLLOWED.id}, {}, {FOLLOWED.id: "t1"})
    assert (fresh, gone) == ({}, [])


def test_an_installation_no_longer_active_is_removed() -> None:
    fresh, gone = tenant_changes({"100": FOLLOWED}, set(), {}, {FOLLOWED.id: "t1"})
    assert (fresh, gone) == ({}, ["100"])


def test_new_installations_and_rotated_tokens_are_added() -> None:
    fresh, gone = tenant_changes(
        {"100": FOLLOWED},
        {FOLLOWED.id, NEW.id},
        {FOLLOWED: "t2", NEW: "n1"},
        {FOLLOWED.id: "t1"},
    )
    assert (fresh, gone) == ({FOLLOWED: "t2", NEW: "n1"}, [])


def test_an_unchanged_token_is_not_sent_again() -> None:
    fresh, gone = tenant_changes(
        {"100": FOLLOWED}, {FOLLOWED.id}, {FOLLOWED: "t1"}, {FOLLOWED.id: "t1"}
    )
    assert (fresh, gone) == ({}, [])
