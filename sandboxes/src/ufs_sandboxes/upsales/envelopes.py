"""Upsales' response envelopes (reference §1)."""

from __future__ import annotations

from typing import Any

from ufs_sandboxes.upsales.jsonio import JsonObject


def list_envelope(data: list[JsonObject], *, total: int, limit: int, offset: int) -> dict[str, Any]:
    return {
        "error": None,
        "metadata": {"total": total, "limit": limit, "offset": offset},
        "data": data,
    }


def item_envelope(data: JsonObject, *, metadata_null: bool = False) -> dict[str, Any]:
    """Get/create/update; products and price lists also carry ``"metadata": null``."""
    if metadata_null:
        return {"error": None, "metadata": None, "data": data}
    return {"error": None, "data": data}


def delete_envelope() -> dict[str, Any]:
    return {"error": None}


def self_envelope(data: JsonObject) -> dict[str, Any]:
    """``/self`` says ``errors`` where every other answer says ``error``."""
    return {"errors": None, "data": data}
