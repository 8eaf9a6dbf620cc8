"""The reconciliation report as a bookkeeper reads it at month end: why an order and its Fortnox
document differ, and the table's words. (The kinds of difference and the repair jobs stay stable
codes.)"""

from __future__ import annotations

from typing import Final

from upsales_fortnox.core.texts.languages import Language

TEXTS: Final[dict[str, dict[Language, str]]] = {
    "report.won_again_closed": {
        "sv": "ordern är vunnen igen; dess {document} i Fortnox är makulerad eller krediterad",
        "en": "the order is won again; its {document} is cancelled or credited",
    },
    "report.closed_not_lost": {
        "sv": "dokumentet i Fortnox ({document}) är makulerat eller krediterat, men ordern är "
        "inte förlorad",
        "en": "the {document} is cancelled or credited; the order is not lost",
    },
    "report.lost_open": {
        "sv": "ordern är förlorad, men dokumentet i Fortnox ({document}) är öppet",
        "en": "the order is lost; the {document} is open",
    },
    "report.reopened_open": {
        "sv": "ordern står på {probability} %, men dokumentet i Fortnox ({document}) är öppet",
        "en": "the order is at {probability} %; the {document} is open",
    },
    "report.amounts": {
        "sv": "Upsales {value} {currency}, Fortnox {net} {document_currency}",
        "en": "Upsales {value} {currency}, Fortnox {net} {document_currency}",
    },
    "report.rates": {
        "sv": "Upsales {value} {currency} till kursen {rate} {currency} per {home}, Fortnox till "
        "kursen {document_rate} {home} per {unit} {document_currency}",
        "en": "Upsales {value} {currency} at {rate} {currency} per {home}, Fortnox at "
        "{document_rate} {home} per {unit} {document_currency}",
    },
    "report.copy": {
        "sv": "det öppna dokumentet ({document}) bär referensen till en Upsales-order som "
        "{document} {standing} redan står för",
        "en": "the open {document} carries the reference of an Upsales order that {document} "
        "{standing} stands for",
    },
    "report.no_order": {
        "sv": "ingen Upsales-order till det öppna dokumentet ({document})",
        "en": "no Upsales order for the open {document}",
    },
    "report.order_deleted": {
        "sv": "Upsales-ordern till det öppna dokumentet ({document}) är borttagen i "
        "Upsales; dokumentet lämnas som det är i Fortnox: makulera det där om affären inte blir "
        "av (en bokförd faktura krediteras i stället)",
        "en": "the Upsales order of the open {document} was deleted in Upsales; the "
        "{document} is left as it is in Fortnox: cancel it there should the deal be off (a "
        "booked invoice is credited instead)",
    },
    "report.no_document": {
        "sv": "en vunnen order utan dokument i Fortnox",
        "en": "a won order with no Fortnox document",
    },
    "report.period_rule": {
        "sv": "Varje belopp räknas i perioden för sitt eget datum: en vunnen order på sitt "
        "orderdatum i Upsales, en faktura på sitt fakturadatum och en kreditfaktura på sitt eget "
        "fakturadatum (inte den krediterade fakturans), med sina egna belopp; en order i Fortnox "
        "på sitt orderdatum. Belopp netto exklusive moms i dokumentets valuta, i SEK till varje "
        "dokuments egen kurs.",
        "en": "Each amount counts in the period of its own date: a won order on its order date in "
        "Upsales, an invoice on its invoice date and a credit invoice on its own invoice date "
        "(not the credited invoice's), at its own amounts; an order in Fortnox on its order date. "
        "Amounts net of VAT in the document's currency, in SEK at each document's own rate.",
    },
    "report.table.invoiced": {"sv": "fakturerat", "en": "invoiced"},
    "report.table.credited": {"sv": "krediterat", "en": "credited"},
    "report.table.cancelled": {"sv": "makulerat", "en": "cancelled"},
    "report.table.unbooked": {"sv": "därav ej bokfört", "en": "of which not booked"},
    "report.table.net_after_credits": {"sv": "netto efter kredit", "en": "net after credits"},
    "report.table.net_sek": {"sv": "netto i SEK", "en": "net in SEK"},
    "report.table.net_sek_total": {
        "sv": "netto i SEK, alla valutor",
        "en": "net in SEK, every currency",
    },
    "report.table.documented_elsewhere": {
        "sv": "vunnet här, dokument i annan period",
        "en": "won here, document in another period",
    },
    "report.table.won_elsewhere": {
        "sv": "dokument här, vunnet i annan period",
        "en": "document here, won in another period",
    },
    "report.table.currency": {"sv": "valuta", "en": "currency"},
    "report.table.side": {"sv": "system", "en": "side"},
    "report.table.count": {"sv": "antal", "en": "count"},
    "report.table.net": {"sv": "netto", "en": "net"},
    "report.table.kind": {"sv": "skillnad", "en": "kind"},
    "report.table.repair": {"sv": "åtgärd", "en": "repair"},
    "report.table.detail": {"sv": "förklaring", "en": "detail"},
    "report.table.clean": {"sv": "inga skillnader", "en": "no differences"},
}
