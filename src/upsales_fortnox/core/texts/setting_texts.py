"""The Upsales app's configuration as an account admin reads it when installing the app: the
Fortnox login button, and the label, help and choices of every setting (``setting.<name>.label``,
``setting.<name>.help``, ``setting.value.<value>``)."""

from __future__ import annotations

from typing import Final

from upsales_fortnox.core.texts.languages import Language

TEXTS: Final[dict[str, dict[Language, str]]] = {
    # the Fortnox login field
    "app.login_label": {"sv": "Fortnox", "en": "Fortnox"},
    "app.login_button": {"sv": "Logga in i Fortnox", "en": "Log in to Fortnox"},
    # the settings
    "setting.syncType.label": {"sv": "Vad ska synkas", "en": "What to sync"},
    "setting.syncType.help": {
        "sv": "Vunna affärer blir fakturor eller ordrar i Fortnox; fakturor, ordrar (och offerter) "
        "i Fortnox blir ordrar i Upsales.",
        "en": "Won deals become invoices or orders in Fortnox; invoices, orders (and offers) in "
        "Fortnox become orders in Upsales.",
    },
    "setting.placeholderUser.label": {
        "sv": "Användare för order utan känd säljare",
        "en": "User for orders without a known sales rep",
    },
    "setting.placeholderUser.help": {
        "sv": "Sätts på ordrar från Fortnox vars referens inte är en känd användare.",
        "en": "Set on orders from Fortnox whose reference is not a known user.",
    },
    "setting.wonStage.label": {"sv": "Steg för vunna affärer", "en": "Stage for won deals"},
    "setting.wonStage.help": {
        "sv": "Ett steg med 100 % sannolikhet.",
        "en": "A stage with 100 % probability.",
    },
    "setting.lostStage.label": {"sv": "Steg för förlorade affärer", "en": "Stage for lost deals"},
    "setting.lostStage.help": {
        "sv": "Ett steg med 0 % sannolikhet; en makulerad order eller faktura, eller en helt "
        "krediterad faktura, i Fortnox flyttar affären hit.",
        "en": "A stage with 0 % probability; a cancelled order or invoice, or a fully credited "
        "invoice, in Fortnox moves the deal here.",
    },
    "setting.offerStage.label": {"sv": "Steg för offerter", "en": "Stage for offers"},
    "setting.offerStage.help": {
        "sv": "Ett öppet steg (1-99 %); används bara med Ordrar och offerter.",
        "en": "An open stage (1-99 %); used only with Orders and offers.",
    },
    "setting.priceList.label": {"sv": "Prislista i Fortnox", "en": "Fortnox price list"},
    "setting.priceList.help": {
        "sv": "Produkternas listpris hämtas från den här prislistan; tom: Fortnox standardlista.",
        "en": "The products' list prices are taken from this price list; left empty, from "
        "Fortnox's default list.",
    },
    "setting.productBundles.label": {
        "sv": "Produktpaket till Fortnox",
        "en": "Product bundles to Fortnox",
    },
    "setting.productBundles.help": {
        "sv": "Hur ett produktpaket i Upsales skickas till Fortnox.",
        "en": "How an Upsales product bundle is sent to Fortnox.",
    },
    "setting.paymentStatus.label": {
        "sv": "Betalstatus från Fortnox",
        "en": "Payment status from Fortnox",
    },
    "setting.paymentStatus.help": {
        "sv": "Visar fakturans betalstatus, betalt belopp, restbelopp och senaste betaldatum på "
        "affären (fälten FORTNOX_PAYMENT_STATUS, FORTNOX_PAID_AMOUNT, FORTNOX_BALANCE, "
        "FORTNOX_PAID_DATE).",
        "en": "Shows the invoice's payment status, amount paid, balance and last payment date on "
        "the deal (the fields FORTNOX_PAYMENT_STATUS, FORTNOX_PAID_AMOUNT, FORTNOX_BALANCE, "
        "FORTNOX_PAID_DATE).",
    },
    "setting.creditInvoices.label": {
        "sv": "Kreditfakturor från Fortnox",
        "en": "Credit invoices from Fortnox",
    },
    "setting.creditInvoices.help": {
        "sv": "En kreditfaktura i Fortnox uppdaterar affären: en hel kreditering flyttar den till "
        "steget för förlorade affärer, en delkreditering sänker restbeloppet. Utan den här "
        "inställningen räknas varje kreditering, även en delkreditering, som en makulering: "
        "affären flyttas till steget för förlorade affärer.",
        "en": "A credit invoice in Fortnox updates the deal: a full credit moves it to the stage "
        "for lost deals, a partial credit lowers the balance. Without this setting any credit, "
        "a partial one too, counts as a cancellation: the deal moves to the stage for lost "
        "deals.",
    },
    "setting.documentLinks.label": {
        "sv": "Länk till fakturan i Fortnox",
        "en": "Link to the invoice in Fortnox",
    },
    "setting.documentLinks.help": {
        "sv": "Ordern får en länk (fältet FORTNOX_DOCUMENT_URL) som öppnar fakturans eller orderns "
        "PDF från Fortnox.",
        "en": "The order gets a link (the field FORTNOX_DOCUMENT_URL) that opens the PDF of the "
        "invoice or order in Fortnox.",
    },
    "setting.stockLevels.label": {
        "sv": "Lagersaldo från Fortnox",
        "en": "Stock levels from Fortnox",
    },
    "setting.stockLevels.help": {
        "sv": "Produkterna får lagersaldo och disponibelt antal från Fortnox (fälten "
        "FORTNOX_STOCK_IN_STOCK och FORTNOX_STOCK_AVAILABLE).",
        "en": "Products get their quantity in stock and quantity available from Fortnox (the "
        "fields FORTNOX_STOCK_IN_STOCK and FORTNOX_STOCK_AVAILABLE).",
    },
    "setting.currencyPriceLists.label": {
        "sv": "Prislistor per valuta",
        "en": "Price lists per currency",
    },
    # Literal braces are doubled: the texts are format templates.
    "setting.currencyPriceLists.help": {
        "sv": 'Prislista i Fortnox för varje valuta utom SEK, t.ex. {{"EUR": "EUR"}}; produkterna '
        "får sitt pris i varje sådan valuta.",
        "en": 'The Fortnox price list of each currency other than SEK, e.g. {{"EUR": "EUR"}}; '
        "products get their price in each of these currencies.",
    },
    # the choices of syncType and productBundles, by value
    "setting.value.invoice": {"sv": "Fakturor", "en": "Invoices"},
    "setting.value.order": {"sv": "Ordrar", "en": "Orders"},
    "setting.value.order_offer": {"sv": "Ordrar och offerter", "en": "Orders and offers"},
    "setting.value.onlyBundle": {"sv": "Bara paketet", "en": "The bundle only"},
    "setting.value.onlySubProducts": {
        "sv": "Bara produkterna i paketet",
        "en": "The bundle's products only",
    },
    "setting.value.bundleAndSubProducts": {
        "sv": "Paketet och produkterna i det",
        "en": "The bundle and its products",
    },
}
