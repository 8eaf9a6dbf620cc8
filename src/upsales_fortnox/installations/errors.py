"""What the installation operations raise; the API turns each into a stable error code."""

from __future__ import annotations

import uuid


class InstallationNotFound(LookupError):
    def __init__(self, installation_id: uuid.UUID) -> None:
        super().__init__(f"installation {installation_id} does not exist")
        self.installation_id = installation_id


class VersionMismatch(Exception):
    """The entity changed since the caller read it (``current_version`` is the version now)."""

    def __init__(self, current_version: int | None) -> None:
        super().__init__("the resource was changed by someone else; read it again")
        self.current_version = current_version


class DuplicateCustomerId(Exception):
    def __init__(self, upsales_customer_id: int) -> None:
        super().__init__(
            f"another installation already has Upsales customer id {upsales_customer_id}"
        )
        self.upsales_customer_id = upsales_customer_id


class UpsalesKeyOfAnotherAccount(Exception):
    """The Upsales API key given belongs to another Upsales account than the installation's."""

    def __init__(self, upsales_customer_id: int | None, key_owner: int | None) -> None:
        owner = (
            f"Upsales customer {key_owner}"
            if key_owner is not None
            else "another Upsales account (the last connection check)"
        )
        super().__init__(
            f"the Upsales API key belongs to {owner}, not to this installation's customer "
            f"{upsales_customer_id}; nothing was saved: save the key of its own account"
        )
        self.upsales_customer_id = upsales_customer_id
        self.key_owner = key_owner


class TenantTaken(Exception):
    """Another installation is connected to the Fortnox tenant (the database's constraint)."""
