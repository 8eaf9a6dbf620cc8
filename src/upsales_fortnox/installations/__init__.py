"""Operator-facing management of installations: creation, edits, settings and their rules.

The rules (settings, status changes, version preconditions) are pure functions; ``service``
applies them, and ``repository`` (installation rows, settings, Fortnox tokens) reads and writes
the tables; ``fortnox_tokens`` keeps the Fortnox tokens fresh through it.
"""
