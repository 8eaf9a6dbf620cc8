"""Installations as the operator API reads and writes them.

Secrets (``upsales_api_token``, ``webhook_secret``) are write-only: accepted on create and edit,
never returned; responses say ``has_upsales_api_token`` / ``has_webhook_secret`` instead.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from upsales_fortnox.api.schemas import (
    INT32_MAX,
    TEXT_WITHOUT_NUL,
    VISIBLE_SINGLE_LINE_TEXT,
    JsonInt,
)
from upsales_fortnox.installations.service import (
    UNSET,
    InstallationChanges,
    InstallationRecord,
    NewInstallation,
)
from upsales_fortnox.installations.settings_schemas import SettingsDocument
from upsales_fortnox.vocabulary import InstallationStatus

MIN_WEBHOOK_SECRET_LENGTH = 16
VISIBLE_ASCII = "^[!-~]+$"
"""What :func:`_visible_ascii` enforces, as the document declares it."""


def _visible_ascii(secret: SecretStr) -> SecretStr:
    value = secret.get_secret_value()
    if not all("!" <= character <= "~" for character in value):
        raise ValueError("must be printable ASCII without spaces")
    return secret


InstallationName = Annotated[
    str,
    Field(min_length=1, max_length=200, pattern=VISIBLE_SINGLE_LINE_TEXT, examples=["Acme AB"]),
]
CustomerId = Annotated[
    JsonInt, Field(ge=1, le=INT32_MAX, description="The Upsales account's customer id.")
]
UpsalesApiToken = Annotated[
    SecretStr,
    Field(
        min_length=1,
        max_length=500,
        description="Upsales API key. Write-only.",
        json_schema_extra={"pattern": VISIBLE_ASCII},
    ),
    AfterValidator(_visible_ascii),
]
WebhookSecret = Annotated[
    SecretStr,
    Field(
        min_length=MIN_WEBHOOK_SECRET_LENGTH,
        max_length=200,
        description="Secret that Upsales trigger requests carry in a header. Write-only.",
        json_schema_extra={"pattern": VISIBLE_ASCII},
    ),
    AfterValidator(_visible_ascii),
]
StatusReason = Annotated[str, Field(max_length=2000, pattern=TEXT_WITHOUT_NUL)]


def _reveal(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()


class InstallationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    name: InstallationName
    upsales_customer_id: CustomerId | None = None
    upsales_api_token: UpsalesApiToken | None = None
    webhook_secret: WebhookSecret | None = None
    settings: SettingsDocument | None = Field(
        default=None, description="Initial settings; the same rules as the settings `PUT`."
    )

    def to_new_installation(self) -> NewInstallation:
        return NewInstallation(
            name=self.name,
            upsales_customer_id=self.upsales_customer_id,
            upsales_api_token=_reveal(self.upsales_api_token),
            webhook_secret=_reveal(self.webhook_secret),
            settings=self.settings.to_draft() if self.settings is not None else None,
        )


class InstallationPatch(BaseModel):
    """Fields left out stay as they are; ``null`` clears a nullable field."""

    model_config = ConfigDict(extra="forbid")

    # Optional but never null (the validator below): the document leaves null out.
    name: InstallationName | SkipJsonSchema[None] = None
    upsales_customer_id: CustomerId | None = None
    status: InstallationStatus | SkipJsonSchema[None] = Field(
        default=None,
        description="An operator may set `pending_login`, `active` (after a Fortnox login) "
        "or `paused`; `needs_relogin` is set by the service only.",
    )
    status_reason: StatusReason | None = Field(
        default=None, description="Why; a change of status without one clears the old reason."
    )
    upsales_api_token: UpsalesApiToken | None = None
    webhook_secret: WebhookSecret | None = None

    @field_validator("name", "status", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null")
        return value

    def to_changes(self) -> InstallationChanges:
        given = self.model_fields_set
        return InstallationChanges(
            name=self.name if "name" in given and self.name is not None else UNSET,
            upsales_customer_id=(
                self.upsales_customer_id if "upsales_customer_id" in given else UNSET
            ),
            status=self.status if "status" in given and self.status is not None else UNSET,
            status_reason=self.status_reason if "status_reason" in given else UNSET,
            upsales_api_token=(
                _reveal(self.upsales_api_token) if "upsales_api_token" in given else UNSET
            ),
            webhook_secret=_reveal(self.webhook_secret) if "webhook_secret" in given else UNSET,
        )


class WebhookUrls(BaseModel):
    upsales: str = Field(description="For Upsales app hooks and triggers.")
    fortnox: str = Field(description="For Fortnox change events posted to the service.")


class InstallationOut(BaseModel):
    id: uuid.UUID
    name: str
    upsales_customer_id: int | None
    status: InstallationStatus
    status_reason: str | None
    fortnox_tenant_id: str | None
    has_fortnox_login: bool = Field(description="Fortnox tokens are stored.")
    has_upsales_api_token: bool
    has_webhook_secret: bool
    webhook_urls: WebhookUrls
    fortnox_login_url: str = Field(
        description='The Fortnox login ("Logga in i Fortnox") for this installation: the '
        "Upsales app's oauth button opens this URL. Signed and valid for 24 hours; every read "
        "answers a fresh one. Without it a login cannot be started."
    )
    version: int = Field(description="Also the `ETag`; send it back in `If-Match` to edit.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_record(
        cls, record: InstallationRecord, public_base_url: str, fortnox_login_url: str
    ) -> InstallationOut:
        installation = record.installation
        base = public_base_url.rstrip("/")
        return cls(
            id=installation.id,
            name=installation.name,
            upsales_customer_id=installation.upsales_customer_id,
            status=InstallationStatus(installation.status),
            status_reason=installation.status_reason,
            fortnox_tenant_id=installation.fortnox_tenant_id,
            has_fortnox_login=record.has_fortnox_login,
            has_upsales_api_token=installation.upsales_api_token_enc is not None,
            has_webhook_secret=installation.webhook_secret_enc is not None,
            webhook_urls=WebhookUrls(
                upsales=f"{base}/webhooks/upsales/{installation.id}",
                fortnox=f"{base}/webhooks/fortnox/{installation.id}",
            ),
            fortnox_login_url=fortnox_login_url,
            version=installation.version,
            created_at=installation.created_at,
            updated_at=installation.updated_at,
        )
