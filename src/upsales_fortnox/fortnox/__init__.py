"""Fortnox REST API v3: wire models, typed errors, OAuth2, token store, rate pacing and client.

See ``/work/shared/reference/fortnox.md`` for the facts these modules follow. Start from
:func:`upsales_fortnox.fortnox.factory.build_fortnox_client` to talk to one installation's
Fortnox company.
"""
