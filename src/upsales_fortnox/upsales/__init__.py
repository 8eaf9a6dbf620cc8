"""Upsales CRM REST API v2: an async httpx client, its wire models, errors and request pacing.

Start with :class:`~upsales_fortnox.upsales.client.UpsalesClient`; build list filters with
:mod:`upsales_fortnox.upsales.filters` and share one
:class:`~upsales_fortnox.upsales.pacing.RateLimiter` per API key
(:class:`~upsales_fortnox.upsales.pacing.RateLimiterRegistry`).
"""
