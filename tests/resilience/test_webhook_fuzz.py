"""Both webhook endpoints under generated input: whatever arrives, the answer is never a 5xx,
and a refused request (any 4xx) stores nothing.

Bodies are mutated hooks and events (every field may be replaced by any JSON value), arbitrary
JSON documents and arbitrary bytes, with the right, a wrong or no credential; and the hooks that
wait for an answer (``before_order_save``, ``app_status_order``) with won orders of a linked
product and company, so their rows are planned, with quantities and prices of any size. The
service runs under uvicorn on loopback against SQLite; hypothesis runs a fixed number of
examples from a fixed seed (a few seconds in all).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from tests.conftest import ADMIN_TOKEN
from tests.database import create_schema
from tests.intake.support import (
    API_KEY,
    TENANT_ID,
    WEBHOOK_SECRET,
    create_installation,
    fortnox_event,
    order_hook,
)
from tests.serving import served
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.core.db.engine import create_engine, create_session_factory
from upsales_fortnox.installations.app_config import HOOK_TYPES
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.main import create_app
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

EXAMPLES = 120
#: The Upsales product and company the fuzzed installation has linked to Fortnox.
LINKED_PRODUCT = 3
LINKED_COMPANY = 5
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@dataclass(frozen=True)
class Target:
    client: httpx.Client
    installation_id: str
    database: Path

    def stored(self) -> tuple[int, int]:
        with sqlite3.connect(self.database) as connection:
            events = connection.execute("SELECT count(*) FROM inbound_events").fetchone()[0]
            jobs = connection.execute("SELECT count(*) FROM sync_jobs").fetchone()[0]
        return int(events), int(jobs)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    database = Path(tmp_path_factory.mktemp("webhook-fuzz")) / "fuzz.sqlite3"
    url = f"sqlite:///{database}"
    app_settings = Settings(
        database_url=url,
        admin_token=SecretStr(ADMIN_TOKEN),
        secret_key=SecretStr("test-secret-key-0123456789abcdef"),
    )

    async def prepare() -> str:
        await create_schema(url)
        engine = create_engine(url)
        try:
            box = SecretBox(app_settings.secret_key.get_secret_value())
            session_factory = create_session_factory(engine)
            installation = await create_installation(session_factory, box)
            async with session_factory() as session:
                links = LinkStore(session, installation.id)
                await links.add(LinkEntity.PRODUCT, LINKED_PRODUCT, FortnoxType.ARTICLE, "A1")
                await links.add(LinkEntity.COMPANY, LINKED_COMPANY, FortnoxType.CUSTOMER, "C1")
                await session.commit()
        finally:
            await engine.dispose()
        return str(installation.id)

    installation_id = asyncio.run(prepare())
    with (
        served(create_app(app_settings)) as origin,
        httpx.Client(base_url=origin, timeout=30) as client,
    ):
        yield Target(client, installation_id, database)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _mutated(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``base`` with some fields replaced by any JSON value, removed, or added."""
    keys = sorted(base)
    return st.builds(
        lambda replaced, removed, added: {
            **{k: v for k, v in base.items() if k not in removed},
            **replaced,
            **added,
        },
        st.dictionaries(st.sampled_from(keys), json_values, max_size=3),
        st.sets(st.sampled_from(keys), max_size=2),
        st.dictionaries(st.text(max_size=8), json_values, max_size=2),
    )


def _encoded(documents: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return documents.map(lambda document: json.dumps(document).encode())


upsales_bodies = st.one_of(
    _encoded(_mutated(order_hook(7))),
    _encoded(_mutated({**order_hook(7), "data": {"object": {"id": "12"}}})),
    _encoded(_mutated({"event": "after_order_update", "entity": "order", "id": 42})),
    _encoded(json_values),
    st.binary(max_size=200),
)
fortnox_bodies = st.one_of(
    _encoded(_mutated(fortnox_event("o1", tenant_id=TENANT_ID))),
    _encoded(st.lists(_mutated(fortnox_event("o2", tenant_id=TENANT_ID)), max_size=3)),
    _encoded(json_values),
    st.binary(max_size=200),
)
secrets = st.sampled_from([WEBHOOK_SECRET, "wrong-secret", None])

#: Quantities and prices: ordinary, of any magnitude (as JSON numbers or as decimal text, which
#: Upsales' models read too), and JSON values of other types.
amounts = st.one_of(
    st.integers(min_value=-1000, max_value=100_000),
    st.integers(),
    st.integers(min_value=-40, max_value=40).map(lambda exponent: 10**exponent),
    st.integers(min_value=-40, max_value=40).map(lambda exponent: f"1e{exponent}"),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    json_values,
)
order_rows = st.fixed_dictionaries(
    {
        "product": st.sampled_from([{"id": LINKED_PRODUCT}, {"id": LINKED_PRODUCT, "name": "P"}]),
        "quantity": amounts,
        "price": amounts,
    },
    optional={
        "listPrice": amounts,
        "bundleRows": st.lists(
            st.fixed_dictionaries(
                {"productId": st.just(LINKED_PRODUCT), "quantity": amounts},
                optional={"price": amounts, "listPrice": amounts},
            ),
            max_size=3,
        ),
    },
)
won_orders = st.fixed_dictionaries(
    {
        "id": st.integers(min_value=1, max_value=1000),
        "probability": st.just(100),
        "client": st.sampled_from([{"id": LINKED_COMPANY}, LINKED_COMPANY]),
        "orderRow": st.lists(order_rows, min_size=1, max_size=4),
    }
)
question_bodies = st.builds(
    lambda order, hook_type: json.dumps(
        {"type": hook_type, "apiKey": API_KEY, "data": {"obj": order}}
    ).encode(),
    won_orders,
    st.sampled_from(["before_order_save", "app_status_order"]),
)


#: The last segment of a typed hook URL (``/webhooks/upsales/{installation}/{hook_type}``): the
#: types the service knows, near misses and any text.
hook_types = st.one_of(
    st.sampled_from([*HOOK_TYPES, "after_order_delete", "after_activity_insert", "type"]),
    st.text(min_size=1, max_size=80).map(lambda text: quote(text, safe="")),
)


def _post(
    target: Target, path: str, body: bytes, secret: str | None, hook_type: str | None = None
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Webhook-Secret"] = secret
    url = f"/webhooks/{path}/{target.installation_id}"
    if hook_type is not None:
        url = f"{url}/{hook_type}"
    return target.client.post(url, content=body, headers=headers)


def refusal_code(body: dict[str, Any]) -> str:
    """The stable code of a refusal: in the service's error envelope, or beside the text of
    the refusal of a hook Upsales waits on (``{"error": text, "message": text, "code"}``)."""
    error = body["error"]
    if isinstance(error, str):
        assert error == body["message"]
        return str(body["code"])
    return str(error["code"])


def _check(
    target: Target, path: str, body: bytes, secret: str | None, hook_type: str | None = None
) -> None:
    before = target.stored()
    response = _post(target, path, body, secret, hook_type)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert refusal_code(response.json())
        assert target.stored() == before, (response.status_code, response.text)


def test_upsales_endpoint_never_fails_and_refusals_store_nothing(target: Target) -> None:
    @FUZZ_SETTINGS
    @given(body=upsales_bodies, secret=secrets)
    def fuzz(body: bytes, secret: str | None) -> None:
        _check(target, "upsales", body, secret)

    fuzz()


def test_typed_upsales_urls_never_fail_and_refusals_store_nothing(target: Target) -> None:
    @FUZZ_SETTINGS
    @given(body=upsales_bodies, secret=secrets, hook_type=hook_types)
    def fuzz(body: bytes, secret: str | None, hook_type: str) -> None:
        _check(target, "upsales", body, secret, hook_type)

    fuzz()


def test_fortnox_endpoint_never_fails_and_refusals_store_nothing(target: Target) -> None:
    @FUZZ_SETTINGS
    @given(body=fortnox_bodies, secret=secrets)
    def fuzz(body: bytes, secret: str | None) -> None:
        _check(target, "fortnox", body, secret)

    fuzz()


def test_hooks_that_wait_for_an_answer_never_fail_and_store_nothing(target: Target) -> None:
    @FUZZ_SETTINGS
    @given(body=question_bodies)
    def fuzz(body: bytes) -> None:
        before = target.stored()
        response = _post(target, "upsales", body, None)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert refusal_code(response.json())
        assert target.stored() == before  # a question stores nothing, answered or refused

    fuzz()


def test_the_fuzz_reaches_acceptance(target: Target) -> None:
    """The generators are not all refusals: a valid hook still lands (and is stored)."""
    body = json.dumps(order_hook(99_001)).encode()
    before = target.stored()
    assert _post(target, "upsales", body, None).status_code == 202
    assert target.stored()[0] == before[0] + 1
