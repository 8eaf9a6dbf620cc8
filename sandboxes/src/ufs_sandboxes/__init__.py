"""Local stand-ins for the Fortnox and Upsales APIs, for demos, end-to-end tests and benchmarks.

The simulators (``fortnox``, ``upsales``) import nothing from the sync service; only ``demo``,
which runs the service against them, does.
"""
