"""The spec guard: every Fortnox exchange the tests make is checked against Fortnox's spec.

``spec`` loads and indexes the OpenAPI document, ``check`` judges one exchange, ``guard`` keeps
the violations per test and in total, ``hook`` wraps httpx's ``send``, and ``plugin`` wires it
into pytest (registered from ``tests/conftest.py``).
"""
