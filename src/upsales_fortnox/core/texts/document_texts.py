"""The page a sales rep sees when the order's link to a Fortnox document's PDF does not open."""

from __future__ import annotations

from typing import Final

from upsales_fortnox.core.texts.languages import Language

TEXTS: Final[dict[str, dict[Language, str]]] = {
    "document.failed.title": {
        "sv": "Dokumentet kan inte visas",
        "en": "The document cannot be shown",
    },
    "document.failed.heading": {
        "sv": "Dokumentet kan inte visas",
        "en": "The document cannot be shown",
    },
    "document.failed.gone": {
        "sv": "Länken fungerar inte längre, eller så finns dokumentet inte. Öppna affären i "
        "Upsales igen: den får en ny länk när den synkas.",
        "en": "The link no longer works, or the document does not exist. Open the deal in "
        "Upsales again: it gets a new link when it syncs.",
    },
    "document.failed.login": {
        "sv": "Kopplingen till Fortnox behöver en ny inloggning: administratören öppnar appen "
        "i Upsales och loggar in i Fortnox igen.",
        "en": "The connection to Fortnox needs a new login: the administrator opens the app in "
        "Upsales and logs in to Fortnox again.",
    },
    "document.failed.unavailable": {
        "sv": "Fortnox svarar inte just nu. Försök igen om en stund.",
        "en": "Fortnox does not answer right now. Try again in a while.",
    },
    "document.failed.refused": {
        "sv": "Fortnox kunde inte ta fram dokumentet. Försök igen senare, eller kontakta "
        "administratören av integrationen.",
        "en": "Fortnox could not produce the document. Try again later, or contact the "
        "integration's administrator.",
    },
}
