"""HTTP routers: health, operator API, webhooks and the Fortnox login."""
