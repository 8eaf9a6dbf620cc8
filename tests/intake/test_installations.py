"""Loading an installation for the intake and checking its secrets."""

from __future__ import annotations

import uuid

import pytest

from tests.intake.support import API_KEY, WEBHOOK_SECRET, create_installation
from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.intake.installations import (
    SecretChecker,
    parse_installation_id,
    secret_matches,
)
from upsales_fortnox.intake.repository.loader import load_webhook_installation
from upsales_fortnox.services import Services

BOX = SecretBox("a-secret-key-for-these-tests-only")


def test_secret_matches_only_the_exact_secret() -> None:
    stored = BOX.encrypt("s3cret-value")
    assert secret_matches("s3cret-value", stored, BOX)
    assert not secret_matches("s3cret-valuf", stored, BOX)
    assert not secret_matches("s3cret-value ", stored, BOX)
    assert not secret_matches("\ud800", stored, BOX)


def test_missing_or_empty_secrets_never_match() -> None:
    empty = BOX.encrypt("")
    assert not secret_matches("", empty, BOX)
    assert not secret_matches(None, empty, BOX)
    assert not secret_matches("anything", empty, BOX)
    assert not secret_matches("", None, BOX)
    assert not secret_matches("anything", None, BOX)
    assert not secret_matches("anything", "", BOX)


def test_a_secret_that_no_longer_decrypts_matches_nothing() -> None:
    stored = SecretBox("another-secret-key-entirely").encrypt("s3cret-value")
    assert not secret_matches("s3cret-value", stored, BOX)


def test_installation_ids_must_be_uuids() -> None:
    key = uuid.uuid4()
    assert parse_installation_id(str(key)) == key
    assert parse_installation_id("not-a-uuid") is None
    assert parse_installation_id("") is None


async def test_load_reads_one_installation_with_secrets_encrypted(services: Services) -> None:
    installation = await create_installation(services.session_factory, services.secret_box)
    async with services.session_factory() as session:
        loaded = await load_webhook_installation(session, installation.id)
        missing = await load_webhook_installation(session, uuid.uuid4())
    assert missing is None
    assert loaded is not None
    assert (loaded.id, loaded.version, loaded.fortnox_tenant_id) == (installation.id, 1, "29302")
    assert secret_matches(API_KEY, loaded.upsales_api_token_enc, services.secret_box)
    assert secret_matches(WEBHOOK_SECRET, loaded.webhook_secret_enc, services.secret_box)
    assert API_KEY not in repr(loaded) and (loaded.upsales_api_token_enc or "") not in repr(loaded)


CASES = [
    ("s3cret-value", "s3cret-value", True),
    ("s3cret-valuf", "s3cret-value", False),
    ("s3cret-value ", "s3cret-value", False),
    ("s3cret-valu", "s3cret-value", False),
    ("\ud800", "s3cret-value", False),
    ("", "s3cret-value", False),
    (None, "s3cret-value", False),
    ("anything", "", False),
    ("", "", False),
    ("anything", None, False),
]


@pytest.mark.parametrize(("given", "secret", "expected"), CASES)
def test_the_checker_answers_as_secret_matches_every_time(
    given: str | None, secret: str | None, expected: bool
) -> None:
    checker = SecretChecker(BOX)
    stored = BOX.encrypt_optional(secret)
    for _ in range(2):  # the second answer comes from what the first remembered
        assert checker.matches(given, stored) is expected
        assert secret_matches(given, stored, BOX) is expected


def test_the_checker_refuses_what_does_not_decrypt_and_an_empty_stored_value() -> None:
    checker = SecretChecker(BOX)
    foreign = SecretBox("another-secret-key-entirely").encrypt("s3cret-value")
    assert not checker.matches("s3cret-value", foreign)
    assert not checker.matches("s3cret-value", foreign)
    assert not checker.matches("s3cret-value", "")


class CountingBox(SecretBox):
    """A real box that counts its decryptions."""

    decryptions = 0

    def decrypt(self, ciphertext: str) -> str:
        self.decryptions += 1
        return super().decrypt(ciphertext)


def test_the_checker_decrypts_each_stored_value_once_within_its_capacity() -> None:
    box = CountingBox("a-secret-key-for-these-tests-only")
    checker = SecretChecker(box, capacity=2)
    old, new = box.encrypt("old-secret-value"), box.encrypt("new-secret-value")
    for _ in range(3):
        assert checker.matches("old-secret-value", old)
        assert not checker.matches("wrong", old)
    assert box.decryptions == 1
    # a rotated secret is another stored value: it takes effect at once
    assert checker.matches("new-secret-value", new)
    assert not checker.matches("old-secret-value", new)
    assert box.decryptions == 2
    third = box.encrypt("a-third-secret")
    assert checker.matches("a-third-secret", third)  # beyond capacity: the oldest goes
    assert checker.matches("old-secret-value", old)
    assert box.decryptions == 4
    remembered = repr(vars(checker))
    assert "secret-value" not in remembered and "third" not in remembered
