"""Keeps Upsales CRM accounts and their Fortnox accounting companies in sync."""

__version__ = "0.1.0"
