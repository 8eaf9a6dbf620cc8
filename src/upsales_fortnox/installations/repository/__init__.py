"""The installations' tables: the installation rows, their settings and their Fortnox tokens,
each written by one module here."""
