"""The demo: the sync service and both API sandboxes on one machine, with a real sync both ways.

The one part of the sandboxes that uses the service (``upsales-fortnox-sync``, installed beside
them); the service itself knows nothing of it.
"""
