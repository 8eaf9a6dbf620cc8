"""The pages of a Fortnox login that did not complete."""

from __future__ import annotations

from typing import Final

from upsales_fortnox.core.texts.languages import Language

TEXTS: Final[dict[str, dict[Language, str]]] = {
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
    "login.failed.used": {
        "sv": "Den här inloggningen är redan använd, till exempel efter ett dubbelklick. Öppna "
        "appen i Upsales: står Fortnox som kopplat är inloggningen klar, annars klicka på Logga "
        "in i Fortnox igen.",
        "en": "This login has already been used, for example after a double click. Open the app "
        "in Upsales: if Fortnox shows as connected the login is done; otherwise click Log in to "
        "Fortnox again.",
    },
    "login.failed.link": {
        "sv": "Länken för att logga in är inte giltig längre. Öppna appen i Upsales och "
        "klicka på Logga in i Fortnox igen.",
        "en": "The login link is no longer valid. Open the app in Upsales and click Log in "
        "to Fortnox again.",
    },
    "login.failed.link_expired": {
        "sv": "Länken för att logga in är inte giltig längre: den har gått ut. Fråga "
        "administratören av integrationen efter en ny länk.",
        "en": "The login link is no longer valid: it has expired. Ask the integration's "
        "administrator for a new link.",
    },
    "login.failed.other_company": {
        "sv": "Kopplingen gäller ett annat Fortnox-företag än det du loggade in med. Logga in "
        "med det Fortnox-företag som redan är kopplat. Ska kopplingen flyttas till ett annat "
        "företag, kontakta administratören av integrationen.",
        "en": "The connection belongs to another Fortnox company than the one you logged in "
        "with. Log in with the Fortnox company already connected. To move the connection to "
        "another company, contact the integration's administrator.",
    },
    "login.failed.company_taken": {
        "sv": "Det här Fortnox-företaget är redan kopplat till ett annat Upsales-konto. Logga "
        "in med rätt företag. Ska kopplingen flyttas hit, kontakta administratören av "
        "integrationen.",
        "en": "This Fortnox company is already connected to another Upsales account. Log in "
        "with the right company. To move the connection here, contact the integration's "
        "administrator.",
    },
    "login.failed.unavailable": {
        "sv": "Fortnox svarade inte. Försök igen om en stund.",
        "en": "Fortnox did not answer. Try again in a while.",
    },
    "login.failed.service": {
        "sv": "Integrationen kan just nu inte logga in hos Fortnox. Försök igen senare, eller "
        "kontakta administratören av integrationen.",
        "en": "The integration cannot log in to Fortnox right now. Try again later, or "
        "contact the integration's administrator.",
    },
    "login.failed.gone": {
        "sv": "Kopplingen till Fortnox finns inte längre hos integrationen: den har tagits bort. "
        "Kontakta administratören av integrationen.",
        "en": "The connection to Fortnox no longer exists in the integration: it was removed. "
        "Contact the integration's administrator.",
    },
    "login.failed.other": {
        "sv": "Något gick fel. Försök igen, eller kontakta administratören av integrationen.",
        "en": "Something went wrong. Try again, or contact the integration's administrator.",
    },
}
