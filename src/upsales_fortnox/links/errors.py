"""Why a link could not be set by hand."""

from __future__ import annotations


class LinkConflict(Exception):
    """One side of a new link is linked already; ``existing_id`` is that link."""

    def __init__(self, message: str, existing_id: int) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class LinkedMeanwhile(Exception):
    """One side of a new link was linked by another transaction (a sync job) at the same
    moment; read the links again."""
