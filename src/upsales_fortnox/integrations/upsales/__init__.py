"""Upsales CRM REST API v2: an async httpx client, its wire models, errors and request rules.

Start with :class:`~upsales_fortnox.integrations.upsales.client.UpsalesClient`; build list
filters with :mod:`upsales_fortnox.integrations.upsales.filters` and share one
:class:`~upsales_fortnox.integrations.pacing.SlidingWindowLimiter` per API key
(:class:`~upsales_fortnox.integrations.pacing.LimiterRegistry`).
"""
