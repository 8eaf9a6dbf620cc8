"""Why a won order cannot be sent to Fortnox (``before_order_save``), and what is wrong with
its company."""

from __future__ import annotations

from typing import Final

from upsales_fortnox.core.texts.languages import Language

TEXTS: Final[dict[str, dict[Language, str]]] = {
    # any hook Upsales waits on, while the service cannot read what it answers from
    "hook.unavailable": {
        "sv": "Fortnox-integrationen kan inte svara just nu. Försök igen om en stund.",
        "en": "The Fortnox integration cannot answer right now. Try again in a while.",
    },
    # any hook Upsales waits on, refused: its key or installation is not ours, or its body
    # cannot be read
    "hook.not_connected": {
        "sv": "Fortnox-integrationen är inte ansluten till det här Upsales-kontot. Kontakta "
        "administratören av integrationen.",
        "en": "The Fortnox integration is not connected to this Upsales account. Contact the "
        "integration's administrator.",
    },
    "hook.unreadable": {
        "sv": "Fortnox-integrationen kunde inte läsa anropet från Upsales. Kontakta "
        "administratören av integrationen.",
        "en": "The Fortnox integration could not read the call from Upsales. Contact the "
        "integration's administrator.",
    },
    # before_order_save: why a won order cannot be saved
    "order.refused": {
        "sv": "Ordern kan inte skickas till Fortnox: {problems}.",
        "en": "The order cannot be sent to Fortnox: {problems}.",
    },
    "order.no_company": {"sv": "den har inget företag", "en": "it has no company"},
    "order.more_problems": {"sv": "och {count} till", "en": "and {count} more"},
    "order.named_product_without_article": {
        "sv": "produkten '{name}' finns inte som artikel i Fortnox",
        "en": "the product '{name}' has no article in Fortnox",
    },
    "order.product_without_article_named": {
        "sv": "produkten '{name}' (produkt {product_id}) finns inte som artikel i Fortnox",
        "en": "the product '{name}' (product {product_id}) has no article in Fortnox",
    },
    "order.product_without_article": {
        "sv": "en produkt (id {product_id}) finns inte som artikel i Fortnox",
        "en": "a product (id {product_id}) has no article in Fortnox",
    },
    "order.too_many_rows": {
        "sv": "ordern blir {rows} rader i Fortnox, som tillåter högst {limit}",
        "en": "the order has {rows} rows in Fortnox; Fortnox allows {limit}",
    },
    "order.bundle_without_quantities": {
        "sv": "paketet '{name}' har inga produkter med antal som kan bära dess pris",
        "en": "the bundle '{name}' has no products with a quantity to carry its price",
    },
    "order.unnamed_bundle_without_quantities": {
        "sv": "ett paket (produkt-id {product_id}) har inga produkter med antal som kan bära "
        "dess pris",
        "en": "a bundle (product id {product_id}) has no products with a quantity to carry "
        "its price",
    },
    "order.amounts_out_of_range": {
        "sv": "ett antal eller pris i ordern är för stort för att räknas till ett belopp i Fortnox",
        "en": "a quantity or price of the order is too large to make an amount in Fortnox",
    },
    "order.row_without_product": {
        "sv": "rad {row} i ordern har ingen produkt",
        "en": "row {row} of the order has no product",
    },
    "company.no_name": {"sv": "företaget saknar namn", "en": "the company has no name"},
    "company.bad_org_number": {
        "sv": "organisationsnumret {value} är inte ett svenskt organisationsnummer (NNNNNN-NNNN), "
        "som ett företag i Sverige behöver; ange landet i adressen om företaget finns utomlands",
        "en": "the organisation number {value} is not a Swedish organisation number (NNNNNN-NNNN), "
        "which a company in Sweden needs; give the address's country if the company is abroad",
    },
    "company.bad_email": {
        "sv": "e-postadressen {value} är inte giltig",
        "en": "the e-mail address {value} is not valid",
    },
    "company.bad_country": {
        "sv": "landet {value} är ingen landskod med två bokstäver",
        "en": "the country {value} is not a two-letter country code",
    },
    "company.customer_of_another": {
        "sv": "Fortnox-kunden {number} med samma organisationsnummer eller namn hör redan till "
        "företaget {company_id} i Upsales; slå ihop företagen eller ändra organisationsnumret",
        "en": "the Fortnox customer {number} with the same organisation number or name belongs "
        "to the company {company_id} in Upsales already; merge the companies or correct the "
        "organisation number",
    },
    "company.too_long": {
        "sv": "företagets {field_sv} har {length} tecken; Fortnox tillåter högst {max_length}",
        "en": "the company's {field} is {length} characters long; Fortnox allows {max_length}",
    },
}


#: Fortnox field names as a Swedish reader knows them (``field_sv`` of ``company.too_long``).
FIELD_NAMES_SV: Final[dict[str, str]] = {
    "Name": "namn",
    "OrganisationNumber": "organisationsnummer",
    "ZipCode": "postnummer",
    "City": "ort",
    "Address1": "adress",
    "Phone1": "telefonnummer",
    "Email": "e-postadress",
    "VATNumber": "momsregistreringsnummer",
    "YourReference": "er referens",
    "OurReference": "vår referens",
}
