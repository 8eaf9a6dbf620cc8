"""Why a select of the app's configuration (the Fortnox price lists, read live) shows no
choices, as the account admin reads it."""

from __future__ import annotations

from typing import Final

from upsales_fortnox.core.texts.languages import Language

TEXTS: Final[dict[str, dict[Language, str]]] = {
    "choices.login_first": {
        "sv": "Logga in i Fortnox först, med knappen Logga in i Fortnox överst. Sedan går det "
        "att välja prislista.",
        "en": "Log in to Fortnox first, with the Log in to Fortnox button at the top. Then a "
        "price list can be chosen.",
    },
    "choices.login_again": {
        "sv": "Inloggningen i Fortnox gäller inte längre. Klicka på Logga in i Fortnox igen.",
        "en": "The Fortnox login is no longer valid. Click Log in to Fortnox again.",
    },
    "choices.unavailable": {
        "sv": "Fortnox svarar inte just nu. Försök igen om en stund.",
        "en": "Fortnox does not answer right now. Try again in a while.",
    },
    "choices.refused": {
        "sv": "Fortnox lämnade inte ut prislistorna. Försök igen, eller kontakta "
        "administratören av integrationen.",
        "en": "Fortnox did not hand out the price lists. Try again, or contact the "
        "integration's administrator.",
    },
    "choices.not_this_account": {
        "sv": "Prislistorna kan inte visas för det här kontot. Kontakta administratören av "
        "integrationen.",
        "en": "The price lists cannot be shown for this account. Contact the integration's "
        "administrator.",
    },
}
