"""One command of each kind, and what the fakes answer for them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from upsales_fortnox.domain.sync_commands import (
    CreateFortnoxCustomer,
    CreateFortnoxDocument,
    CreateUpsalesCompany,
    CreateUpsalesOrder,
    CreateUpsalesProduct,
    LinkFortnoxCustomer,
    LinkFortnoxDocument,
    LinkTarget,
    NoChange,
    RefuseDocumentChange,
    RemoveLink,
    SaveLink,
    UpdateFortnoxCustomer,
    UpdateFortnoxDocument,
    UpdateUpsalesCompany,
    UpdateUpsalesOrder,
    UpdateUpsalesProduct,
    WriteCustomerNumberToUpsales,
)
from upsales_fortnox.integrations.fortnox.models import Customer, Invoice, InvoiceRow
from upsales_fortnox.integrations.upsales.models import CompanyDraft, OrderDraft, ProductDraft, Ref
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

SYNCED = {"name": "Acme AB"}
INVOICE = Invoice(CustomerNumber="10", InvoiceRows=[InvoiceRow(ArticleNumber="A1", Price=100)])


def envelope(data: Any) -> dict[str, Any]:
    return {"error": None, "data": data}


def invoice_answer(number: int) -> dict[str, Any]:
    rows = [{"RowId": 7, "ArticleNumber": "A1", "Price": 100}]
    return {"Invoice": {"DocumentNumber": number, "CustomerNumber": "10", "InvoiceRows": rows}}


CUSTOMER_ANSWER = {"Customer": {"CustomerNumber": "10", "Name": "Acme AB"}}

COMPANY_LINK = LinkTarget(LinkEntity.COMPANY, FortnoxType.CUSTOMER, "10", "fp-c")
ORDER_LINK = LinkTarget(LinkEntity.ORDER, FortnoxType.INVOICE, "5", "fp-o")
PRODUCT_LINK = LinkTarget(LinkEntity.PRODUCT, FortnoxType.ARTICLE, "A1", "fp-p")

CREATE_COMPANY = CreateUpsalesCompany(CompanyDraft(name="Acme AB"), COMPANY_LINK)
CREATE_ORDER = CreateUpsalesOrder(OrderDraft(description="Invoice 5", client=Ref(id=3)), ORDER_LINK)
CREATE_PRODUCT = CreateUpsalesProduct(ProductDraft(name="Widget", articleNo="A1"), PRODUCT_LINK)
UPDATE_COMPANY = UpdateUpsalesCompany(3, CompanyDraft(phone="08-1"))
UPDATE_ORDER = UpdateUpsalesOrder(4, OrderDraft(probability=100))
UPDATE_PRODUCT = UpdateUpsalesProduct(6, ProductDraft(active=False))
WRITE_NUMBER = WriteCustomerNumberToUpsales(3, 11, "10")
SAVE_LINK = SaveLink(LinkEntity.PRODUCT, 6, FortnoxType.ARTICLE, "A1", "fp-p")
REMOVE_LINK = RemoveLink(FortnoxType.ARTICLE, "A2")
CREATE_CUSTOMER = CreateFortnoxCustomer(3, Customer(Name="Acme AB"), SYNCED)
LINK_CUSTOMER = LinkFortnoxCustomer(3, "10", SYNCED)
UPDATE_CUSTOMER = UpdateFortnoxCustomer(3, "10", Customer(Name="Acme AB"), ("name",), SYNCED)
CREATE_DOCUMENT = CreateFortnoxDocument(4, FortnoxType.INVOICE, INVOICE, "fp-d", Decimal(100))
LINK_DOCUMENT = LinkFortnoxDocument(4, FortnoxType.INVOICE, 5, "fp-d")
UPDATE_DOCUMENT = UpdateFortnoxDocument(4, FortnoxType.INVOICE, 5, INVOICE, "fp-d", Decimal(100))
REFUSE = RefuseDocumentChange(4, FortnoxType.INVOICE, 5, "the invoice is booked")
NO_CHANGE = NoChange("nothing changed")
