"""Fortnox REST API v3: wire models, typed errors, OAuth2, the request rules and the client.

See ``/work/shared/reference/fortnox.md`` for the facts these modules follow. The application
builds one installation's client with
:func:`upsales_fortnox.installations.api_clients.build_fortnox_client`.
"""
