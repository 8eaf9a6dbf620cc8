"""Names and descriptions the service writes into Upsales: the product of rows without an
article, the company of a customer without a name, the payment fields and the payment status
they show, and the orders made of Fortnox documents."""

from __future__ import annotations

from typing import Final

from upsales_fortnox.core.texts.languages import Language

TEXTS: Final[dict[str, dict[Language, str]]] = {
    # the Upsales product that carries Fortnox document rows without an article (its name)
    "product.without_article": {
        "sv": "Fortnox-rad utan artikel",
        "en": "Fortnox row without article",
    },
    # the name of an Upsales company made of a Fortnox customer that has none
    "company.nameless_customer": {
        "sv": "Fortnox-kund {number}",
        "en": "Fortnox customer {number}",
    },
    # the names of the Upsales order fields the payment status is written to (made when missing)
    "field.payment_status": {"sv": "Fortnox betalstatus", "en": "Fortnox payment status"},
    "field.paid_amount": {"sv": "Fortnox betalt belopp", "en": "Fortnox amount paid"},
    "field.balance": {"sv": "Fortnox restbelopp", "en": "Fortnox balance"},
    "field.paid_date": {"sv": "Fortnox senaste betaldatum", "en": "Fortnox last payment date"},
    # the invoice's payment status, as its order's payment status field shows it (one a status)
    "payment.open": {"sv": "Obetald", "en": "Unpaid"},
    "payment.partly_paid": {"sv": "Delvis betald", "en": "Partly paid"},
    "payment.paid": {"sv": "Betald", "en": "Paid"},
    "payment.overdue": {"sv": "Förfallen", "en": "Overdue"},
    "payment.credited": {"sv": "Krediterad", "en": "Credited"},
    "payment.cancelled": {"sv": "Makulerad", "en": "Cancelled"},
    # the description of an Upsales order made of a Fortnox document
    "document.imported.invoice": {
        "sv": "Fortnox-faktura {number}",
        "en": "Fortnox invoice {number}",
    },
    "document.imported.order": {"sv": "Fortnox-order {number}", "en": "Fortnox order {number}"},
    "document.imported.offer": {"sv": "Fortnox-offert {number}", "en": "Fortnox offer {number}"},
    "document.invoice": {"sv": "faktura", "en": "invoice"},
    "document.order": {"sv": "order", "en": "order"},
    "document.offer": {"sv": "offert", "en": "offer"},
}
