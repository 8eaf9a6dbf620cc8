"""Every text a sales rep, bookkeeper or account admin reads, in one catalogue.

Swedish first; English where the account asks for it. Operators get stable codes elsewhere
(``{"error": {"code", "message"}}``, job errors ``"<code>: <message>"``); none of those codes
appears in a text here (a test checks).

:class:`Phrase` is a ``str`` (its English text, for logs and job errors, so callers that
expect strings keep working) that remembers its key and values, so the same problem can be
shown to a sales rep in Swedish.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from upsales_fortnox.integrations.upsales.facts import HOOK_LANGUAGE_FIELDS

Language = Literal["sv", "en"]
DEFAULT_LANGUAGE: Final[Language] = "sv"

CATALOGUE: Final[dict[str, dict[Language, str]]] = {
    # before_order_save: why a won order cannot be saved
    "order.refused": {
        "sv": "Ordern kan inte skickas till Fortnox: {problems}.",
        "en": "The order cannot be sent to Fortnox: {problems}.",
    },
    "order.no_company": {"sv": "den har inget företag", "en": "it has no company"},
    "order.named_product_without_article": {
        "sv": "produkten '{name}' finns inte som artikel i Fortnox",
        "en": "the product '{name}' has no article in Fortnox",
    },
    "order.product_without_article_named": {
        "sv": "produkten '{name}' (produkt {product_id}) finns inte som artikel i Fortnox",
        "en": "the product '{name}' (product {product_id}) has no article in Fortnox",
    },
    # the Upsales product that carries Fortnox document rows without an article (its name)
    "product.without_article": {
        "sv": "Fortnox-rad utan artikel",
        "en": "Fortnox row without article",
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
    "order.row_without_product": {
        "sv": "rad {row} i ordern har ingen produkt",
        "en": "row {row} of the order has no product",
    },
    "company.no_name": {"sv": "företaget saknar namn", "en": "the company has no name"},
    "company.bad_org_number": {
        "sv": "organisationsnumret {value} är inte ett svenskt organisationsnummer (NNNNNN-NNNN)",
        "en": "the organisation number {value} is not a Swedish organisation number (NNNNNN-NNNN)",
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
    # app_status_order: the order's sync status
    "status.no_order": {
        "sv": "Anropet anger ingen order.",
        "en": "The request names no order.",
    },
    "status.waiting_to_send": {
        "sv": "Väntar på att skickas till Fortnox.",
        "en": "Waiting to be sent to Fortnox.",
    },
    "status.confirming_earlier_send": {
        "sv": "Väntar: ett tidigare försök att skicka ordern kan fortfarande nå Fortnox. Ordern "
        "söks upp där igen om en stund och skickas bara om den inte redan finns.",
        "en": "Waiting: an earlier attempt to send the order may still reach Fortnox. The order "
        "is looked up there again shortly and sent only if it is not there already.",
    },
    "status.confirming_company_customer": {
        "sv": "Väntar: en annan affär för samma företag har börjat skapa företagets kund i "
        "Fortnox. Ordern skickas om en stund, till den kunden.",
        "en": "Waiting: another deal of the same company has begun creating the company's "
        "customer in Fortnox. The order is sent shortly, to that customer.",
    },
    "status.confirming_earlier_customer": {
        "sv": "Väntar: ett tidigare försök att skapa företagets kund i Fortnox kan fortfarande nå "
        "fram. Kunden söks upp där igen om en stund och skapas bara om den inte redan finns.",
        "en": "Waiting: an earlier attempt to create the company's customer in Fortnox may still "
        "reach it. The customer is looked up there again shortly and created only if it is not "
        "there already.",
    },
    "status.waiting_to_update": {
        "sv": "Väntar på att uppdateras i Fortnox.",
        "en": "Waiting to be updated in Fortnox.",
    },
    "status.sent": {
        "sv": "Skickad till Fortnox som {document} {number}.",
        "en": "Sent to Fortnox as {document} {number}.",
    },
    "status.cancelled": {
        "sv": "Makulerad eller krediterad i Fortnox ({document} {number}). Affären flyttas till "
        "förlorad om inget annat av den finns kvar i Fortnox; vinns den igen skickas en ny.",
        "en": "Cancelled or credited in Fortnox ({document} {number}). The deal moves to lost "
        "unless another part of it lives on in Fortnox; won again, a new one is sent.",
    },
    "status.not_sent": {
        "sv": "Inte skickad till Fortnox; vunna affärer (100 %) med ett företag skickas.",
        "en": "Not sent to Fortnox; won deals (100 %) with a company are sent.",
    },
    "status.failed.missing_article": {
        "sv": "Inte skickad: en produkt i ordern finns inte som artikel i Fortnox. Skapa "
        "artikeln i Fortnox med produktens artikelnummer eller namn, så skickas ordern igen.",
        "en": "Not sent: a product of the order has no article in Fortnox. Create the article "
        "in Fortnox with the product's article number or name, and the order is sent again.",
    },
    "status.failed.company": {
        "sv": "Inte skickad: Fortnox tar inte emot företaget. Rätta företagets uppgifter och "
        "spara ordern igen.",
        "en": "Not sent: Fortnox does not accept the company. Correct the company's details "
        "and save the order again.",
    },
    "status.failed.company_taken": {
        "sv": "Inte skickad: företagets kund i Fortnox hör redan till ett annat företag i Upsales "
        "med samma organisationsnummer. Slå ihop företagen eller rätta organisationsnumret och "
        "spara ordern igen.",
        "en": "Not sent: the company's customer in Fortnox belongs to another company in Upsales "
        "with the same organisation number. Merge the companies or correct the organisation "
        "number, and save the order again.",
    },
    "status.failed.customer_inactive": {
        "sv": "Inte skickad: företagets kund i Fortnox är inaktiv. Ordern skickas dit av sig "
        "själv när den som sköter bokföringen aktiverar kunden i Fortnox igen. Ingen ny kund "
        "skapas.",
        "en": "Not sent: the company's customer in Fortnox is inactive. The order is sent to "
        "it by itself once your bookkeeper activates the customer in Fortnox again. No new "
        "customer is created.",
    },
    "status.failed.locked": {
        "sv": "Ändringen skickades inte: dokumentet i Fortnox är låst (bokfört eller skickat). "
        "Kreditera fakturan i Fortnox för att ändra eller annullera affären.",
        "en": "The change was not sent: the document in Fortnox is locked (booked or sent). "
        "Credit the invoice in Fortnox to change or cancel the deal.",
    },
    "status.failed.order_invoiced": {
        "sv": "Ändringen skickades inte: ordern i Fortnox är redan fakturerad (faktura {number}) "
        "och kan inte längre ändras. Ändra fakturan i Fortnox, eller kreditera den för att "
        "annullera affären.",
        "en": "The change was not sent: the order in Fortnox has been invoiced already (invoice "
        "{number}) and can no longer change. Change the invoice in Fortnox, or credit it to "
        "cancel the deal.",
    },
    "status.failed.login": {
        "sv": "Inte skickad: kopplingen till Fortnox behöver en ny inloggning.",
        "en": "Not sent: the connection to Fortnox needs a new login.",
    },
    "status.failed.offer_cancelled": {
        "sv": "Inte skickad: offerten som affären kommer från är makulerad i Fortnox, så ingen "
        "order kan göras av den. Affären flyttas till förlorad; vinns den igen skickas en ny "
        "order.",
        "en": "Not sent: the offer the deal came from is cancelled in Fortnox, so no order can "
        "be made of it. The deal is moved to lost; won again, a new order is sent.",
    },
    "status.failed.other": {
        "sv": "Inte skickad till Fortnox. Kontakta administratören av integrationen.",
        "en": "Not sent to Fortnox. Contact the integration's administrator.",
    },
    # the names of the Upsales order fields the payment status is written to (made when missing)
    "field.payment_status": {"sv": "Fortnox betalstatus", "en": "Fortnox payment status"},
    "field.paid_amount": {"sv": "Fortnox betalt belopp", "en": "Fortnox amount paid"},
    "field.balance": {"sv": "Fortnox restbelopp", "en": "Fortnox balance"},
    "field.paid_date": {"sv": "Fortnox senaste betaldatum", "en": "Fortnox last payment date"},
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
    # the Fortnox login pages
    "login.failed.title": {
        "sv": "Inloggningen i Fortnox misslyckades",
        "en": "The Fortnox login failed",
    },
    "login.failed.heading": {
        "sv": "Inloggningen i Fortnox blev inte klar",
        "en": "The Fortnox login did not complete",
    },
    "login.failed.denied": {
        "sv": "Du godkände inte kopplingen i Fortnox. Börja om med Logga in i Fortnox.",
        "en": "The connection was not approved in Fortnox. Start again with Log in to Fortnox.",
    },
    "login.failed.expired": {
        "sv": "Inloggningen tog för lång tid eller startades i en annan webbläsare. Börja om "
        "från appen i Upsales.",
        "en": "The login took too long or was started in another browser. Start again from "
        "the app in Upsales.",
    },
    "login.failed.link": {
        "sv": "Länken för att logga in är inte giltig längre. Öppna appen i Upsales och "
        "klicka på Logga in i Fortnox igen.",
        "en": "The login link is no longer valid. Open the app in Upsales and click Log in "
        "to Fortnox again.",
    },
    "login.failed.other_company": {
        "sv": "Det här Fortnox-företaget är redan kopplat till ett annat Upsales-konto, eller "
        "ett annat företag än det som kopplades förut. Logga in med rätt företag.",
        "en": "This Fortnox company is already connected to another Upsales account, or is "
        "not the company connected before. Log in with the right company.",
    },
    "login.failed.unavailable": {
        "sv": "Fortnox svarade inte. Försök igen om en stund.",
        "en": "Fortnox did not answer. Try again in a while.",
    },
    "login.failed.other": {
        "sv": "Något gick fel. Försök igen, eller kontakta administratören av integrationen.",
        "en": "Something went wrong. Try again, or contact the integration's administrator.",
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


def say(key: str, language: Language = DEFAULT_LANGUAGE, **values: Any) -> str:
    """The catalogue's text for ``key`` in ``language``, with ``values`` filled in (values
    that are :class:`Phrase` are rendered in the same language)."""
    rendered = {
        name: value.render(language) if isinstance(value, Phrase) else value
        for name, value in values.items()
    }
    return CATALOGUE[key][language].format(**rendered)


class Phrase(str):
    """A catalogue text as its English string, that can also be rendered in Swedish."""

    key: str
    values: Mapping[str, Any]

    def __new__(cls, key: str, **values: Any) -> Phrase:
        phrase = super().__new__(cls, say(key, "en", **values))
        phrase.key = key
        phrase.values = values
        return phrase

    def render(self, language: Language = DEFAULT_LANGUAGE) -> str:
        return say(self.key, language, **self.values)


def render(text: str, language: Language = DEFAULT_LANGUAGE) -> str:
    """``text`` in ``language`` when it is a :class:`Phrase`; other text as it is."""
    return text.render(language) if isinstance(text, Phrase) else text


def joined(problems: list[str], language: Language = DEFAULT_LANGUAGE) -> str:
    return "; ".join(render(problem, language) for problem in problems)


def language_of_hook(body: Mapping[str, Any]) -> Language:
    """The language an Upsales hook asks for: English when its user's (or the body's)
    language field (:data:`upsales_fortnox.integrations.upsales.facts.HOOK_LANGUAGE_FIELDS`) starts
    with ``en``, else Swedish."""
    user = body.get("user")
    candidates = [
        user.get(key) if isinstance(user, dict) else None for key in HOOK_LANGUAGE_FIELDS
    ] + [body.get(key) for key in HOOK_LANGUAGE_FIELDS]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return "en" if candidate.strip().lower().startswith("en") else "sv"
    return DEFAULT_LANGUAGE


def language_of_request(accept_language: str | None) -> Language:
    """English when the browser prefers it (first in ``Accept-Language``), else Swedish."""
    first = (accept_language or "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "sv"
