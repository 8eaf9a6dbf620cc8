"""The settings document, with the field names of the Upsales app's configuration."""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from upsales_fortnox.api.schemas import INT32_MAX, JsonInt
from upsales_fortnox.domain.settings_rules import SettingsDraft
from upsales_fortnox.models.installation import InstallationSettings
from upsales_fortnox.vocabulary import ProductBundleMode, SyncType

#: Declared, not enforced by the model: the settings rules refuse it with their own code
#: (``not_positive_integer``).
_POSITIVE_ID: Final[dict[str, Any]] = {"minimum": 1, "maximum": INT32_MAX}


class SettingsDocument(BaseModel):
    """An installation's sync settings.

    Written with `PUT` (the rules: see the operation). Read back, a never-configured installation
    has every field null (the enums list null for that reason; a `PUT` with a null `syncType` is
    refused by the rules).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    sync_type: str | None = Field(
        default=None,
        alias="syncType",
        description="What syncs from Fortnox, and where won deals go. Required.",
        json_schema_extra={"enum": [*(value.value for value in SyncType), None]},
    )
    placeholder_user: JsonInt | None = Field(
        default=None,
        json_schema_extra=_POSITIVE_ID,
        alias="placeholderUser",
        description="Upsales user id set on orders whose Fortnox reference names no known user.",
    )
    won_stage: JsonInt | None = Field(
        default=None,
        json_schema_extra=_POSITIVE_ID,
        alias="wonStage",
        description="Upsales stage id of won deals. Required.",
    )
    lost_stage: JsonInt | None = Field(
        default=None,
        json_schema_extra=_POSITIVE_ID,
        alias="lostStage",
        description="Upsales stage id of cancelled deals. Required; differs from `wonStage`.",
    )
    offer_stage: JsonInt | None = Field(
        default=None,
        json_schema_extra=_POSITIVE_ID,
        alias="offerStage",
        description="Upsales stage id of offers. Required with `order_offer`; must be null "
        "with other sync types.",
    )
    price_list: str | None = Field(
        default=None,
        alias="priceList",
        description="Fortnox price-list code (1-50 letters or digits); null: Fortnox's default.",
        examples=["A"],
    )
    product_bundles: str | None = Field(
        default=None,
        alias="productBundles",
        description="How an Upsales bundle is sent to Fortnox; default `onlyBundle`.",
        json_schema_extra={"enum": [*(value.value for value in ProductBundleMode), None]},
    )
    # --- payments and credits ---
    payment_status: StrictBool | None = Field(
        default=None,
        alias="paymentStatus",
        description="Show Fortnox invoice payments (status, paid amount, balance, date of the "
        "last payment) on the linked Upsales order; default false.",
    )
    credit_invoices: StrictBool | None = Field(
        default=None,
        alias="creditInvoices",
        description="Fortnox credit invoices update the linked Upsales order (a full credit "
        "moves it to `lostStage`); default false.",
    )
    # --- end payments and credits ---

    # --- documents and stock (issue 11, parts 3-5) ---
    document_links: StrictBool | None = Field(
        default=None,
        alias="documentLinks",
        description="Write a link to the Fortnox document's PDF to the Upsales order field "
        "`FORTNOX_DOCUMENT_URL`; default false.",
    )
    stock_levels: StrictBool | None = Field(
        default=None,
        alias="stockLevels",
        description="Write Fortnox stock (in stock, available) to the Upsales product fields "
        "`FORTNOX_STOCK_IN_STOCK` and `FORTNOX_STOCK_AVAILABLE`; default false.",
    )
    currency_price_lists: dict[str, str] | None = Field(
        default=None,
        alias="currencyPriceLists",
        description="Fortnox price list per Upsales currency other than SEK (ISO code → "
        "price-list code); products get their price in each of these currencies.",
        examples=[{"EUR": "EUR", "USD": "USD"}],
    )
    # --- end documents and stock ---

    def to_draft(self) -> SettingsDraft:
        return SettingsDraft(
            sync_type=self.sync_type,
            placeholder_user=self.placeholder_user,
            won_stage=self.won_stage,
            lost_stage=self.lost_stage,
            offer_stage=self.offer_stage,
            price_list=self.price_list,
            product_bundles=self.product_bundles,
            payment_status=self.payment_status,
            credit_invoices=self.credit_invoices,
            document_links=self.document_links,
            stock_levels=self.stock_levels,
            currency_price_lists=self.currency_price_lists,
        )

    @classmethod
    def from_row(cls, row: InstallationSettings | None) -> SettingsDocument:
        if row is None:
            return cls()
        return cls.model_validate(
            {
                "syncType": row.sync_type,
                "placeholderUser": row.placeholder_user,
                "wonStage": row.won_stage,
                "lostStage": row.lost_stage,
                "offerStage": row.offer_stage,
                "priceList": row.price_list,
                "productBundles": row.product_bundles,
                "paymentStatus": row.payment_status,
                "creditInvoices": row.credit_invoices,
                "documentLinks": row.document_links,
                "stockLevels": row.stock_levels,
                "currencyPriceLists": row.currency_price_lists,
            }
        )
