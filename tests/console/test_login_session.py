"""Console sessions and CSRF tokens (pure)."""

from __future__ import annotations

from upsales_fortnox.console.login_session import SESSION_SECONDS, SessionSigner

NOW = 1_800_000_000.0


def test_a_session_reads_back_until_it_expires() -> None:
    signer = SessionSigner("secret-key-0123456789", "admin-token-0123")
    cookie = signer.issue(NOW)
    session = signer.read(cookie, NOW + SESSION_SECONDS - 1)
    assert session is not None
    assert signer.read(cookie, NOW + SESSION_SECONDS) is None
    assert signer.read(cookie, NOW - 60) is None  # issued in the future: not trusted


def test_forged_or_malformed_cookies_are_no_session() -> None:
    signer = SessionSigner("secret-key-0123456789", "admin-token-0123")
    issued, nonce, signature = signer.issue(NOW).split(".")
    for cookie in (
        None,
        "",
        f"{issued}.{nonce}",
        f"{issued}.{nonce}.{signature[:-1]}{'1' if signature.endswith('0') else '0'}",
        f"{int(issued) + 1}.{nonce}.{signature}",
        f"x{issued}.{nonce}.{signature}",
        "1." + "a" * 300 + ".b",
        f"{issued}.{nonce}.\u00e9",  # text compare_digest refuses (not ASCII)
        f"{issued}.\u00e9.{signature}",
        f"\u00b2.{nonce}.{signature}",  # a digit int() refuses
    ):
        assert signer.read(cookie, NOW) is None, cookie


def test_a_new_operator_token_ends_every_session_and_csrf_tokens_are_per_session() -> None:
    signer = SessionSigner("secret-key-0123456789", "admin-token-0123")
    first, second = signer.issue(NOW), signer.issue(NOW)
    assert SessionSigner("secret-key-0123456789", "admin-token-4567").read(first, NOW) is None
    first_session, second_session = signer.read(first, NOW), signer.read(second, NOW)
    assert first_session is not None and second_session is not None
    assert first_session.csrf_token != second_session.csrf_token
    assert not SessionSigner.token_matches(first_session.csrf_token, second_session.csrf_token)
    assert not SessionSigner.token_matches(None, first_session.csrf_token)
