"""Operator-facing management of installations: creation, edits, settings and their rules.

The rules (settings, status changes, version preconditions) are pure functions; the modules
``service`` and ``settings_store`` are the thin database shell around them.
"""
