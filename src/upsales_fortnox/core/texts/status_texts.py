"""The order's sync status (``app_status_order``), as a sales rep reads it in Upsales."""

from __future__ import annotations

from typing import Final

from upsales_fortnox.core.texts.languages import Language

TEXTS: Final[dict[str, dict[Language, str]]] = {
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
    "status.waiting_for_login": {
        "sv": "Väntar: integrationen behöver loggas in i Fortnox. Ordern skickas när "
        "administratören har loggat in.",
        "en": "Waiting: the integration needs a login to Fortnox. The order is sent once the "
        "administrator has logged in.",
    },
    "status.waiting_for_settings": {
        "sv": "Väntar: integrationens inställningar har inte sparats än. Ordern skickas när "
        "administratören har sparat dem.",
        "en": "Waiting: the integration's settings have not been saved yet. The order is sent "
        "once the administrator has saved them.",
    },
    "status.waiting_paused": {
        "sv": "Väntar: synkningen med Fortnox är pausad. Ordern skickas när den startas igen.",
        "en": "Waiting: the sync with Fortnox is paused. The order is sent once it is resumed.",
    },
    "status.waiting_to_update": {
        "sv": "Väntar på att uppdateras i Fortnox.",
        "en": "Waiting to be updated in Fortnox.",
    },
    "status.sent": {
        "sv": "Skickad till Fortnox som {document} {number}.",
        "en": "Sent to Fortnox as {document} {number}.",
    },
    "status.sent_not_won": {
        "sv": "Skickad till Fortnox som {document} {number}, men affären är inte längre vunnen: "
        "ändringar skickas inte dit, och {document} {number} finns kvar i Fortnox som den är. "
        "Blir affären inte av behöver {document} {number} makuleras i Fortnox (en bokförd "
        "faktura krediteras i stället); vinns affären igen uppdateras den med affären, om den "
        "ännu går att ändra.",
        "en": "Sent to Fortnox as {document} {number}, but the deal is no longer won: changes "
        "are not sent there, and {document} {number} stays in Fortnox as it is. Should the "
        "deal not happen, {document} {number} needs cancelling in Fortnox (a booked invoice is "
        "credited instead); the deal won again, it is updated with the deal if it can still "
        "be changed.",
    },
    "status.sent_changed_after_sent": {
        "sv": "Skickad till Fortnox som {document} {number}. Ändringen kom efter att fakturan "
        "hade skickats till kunden, som alltså har den tidigare. Kontakta den som sköter "
        "bokföringen: den ändrade fakturan behöver skickas till kunden igen eller krediteras.",
        "en": "Sent to Fortnox as {document} {number}. The change came after the invoice had "
        "been sent to the customer, who therefore holds the earlier one. Contact your "
        "bookkeeper: the changed invoice needs sending to the customer again, or crediting.",
    },
    "status.sent_made_in_fortnox": {
        "sv": "Kommer från Fortnox ({document} {number}), där den gjordes: ändringar i Upsales "
        "skickas inte dit. Ska affären ändras görs det i Fortnox; kontakta den som sköter "
        "bokföringen.",
        "en": "Comes from Fortnox ({document} {number}), where it was made: changes in Upsales "
        "are not sent there. Should the deal change, that is done in Fortnox; contact your "
        "bookkeeper.",
    },
    "status.sent_deleted": {
        "sv": "Skickad till Fortnox som {document} {number}, men affären är borttagen i Upsales: "
        "{document} {number} finns kvar i Fortnox som den är, och inget tas bort där. Blir "
        "affären inte av behöver {document} {number} makuleras i Fortnox (en bokförd faktura "
        "krediteras i stället); kontakta den som sköter bokföringen.",
        "en": "Sent to Fortnox as {document} {number}, but the deal was deleted in Upsales: "
        "{document} {number} stays in Fortnox as it is, and nothing is deleted there. Should "
        "the deal not happen, {document} {number} needs cancelling in Fortnox (a booked "
        "invoice is credited instead); contact your bookkeeper.",
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
    "status.not_sent.no_company": {
        "sv": "Inte skickad till Fortnox: ordern har inget företag.",
        "en": "Not sent to Fortnox: the order has no company.",
    },
    "status.not_sent.deleted": {
        "sv": "Inte skickad till Fortnox: ordern finns inte längre i Upsales.",
        "en": "Not sent to Fortnox: the order no longer exists in Upsales.",
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
        "sv": "Ändringen skickades inte: dokumentet i Fortnox kan inte längre ändras (det är "
        "bokfört, krediterat eller makulerat). Kontakta den som sköter bokföringen.",
        "en": "The change was not sent: the document in Fortnox can no longer change (it is "
        "booked, credited or cancelled). Contact your bookkeeper.",
    },
    "status.failed.locked.booked": {
        "sv": "Ändringen skickades inte: {document} {number} är bokförd i Fortnox och kan inte "
        "längre ändras. Kreditera fakturan i Fortnox för att ändra eller annullera affären.",
        "en": "The change was not sent: {document} {number} is booked in Fortnox and can no "
        "longer change. Credit the invoice in Fortnox to change or cancel the deal.",
    },
    "status.failed.locked.credited": {
        "sv": "Ändringen skickades inte: {document} {number} är krediterad i Fortnox och kan "
        "inte längre ändras. Den som sköter bokföringen rättar affären i Fortnox med en ny "
        "faktura eller en kreditfaktura.",
        "en": "The change was not sent: {document} {number} is credited in Fortnox and can no "
        "longer change. Your bookkeeper corrects the deal in Fortnox with a new invoice or a "
        "credit invoice.",
    },
    "status.failed.locked.cancelled": {
        "sv": "Ändringen skickades inte: {document} {number} är makulerad i Fortnox och kan inte "
        "längre ändras. Affären flyttas till förlorad om inget annat av den finns kvar i "
        "Fortnox; vinns den igen skickas en ny.",
        "en": "The change was not sent: {document} {number} is cancelled in Fortnox and can no "
        "longer change. The deal moves to lost unless another part of it lives on in Fortnox; "
        "won again, a new one is sent.",
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
    "status.failed.not_sendable": {
        "sv": "Inte skickad: ordern går inte att skicka till Fortnox som den ser ut nu. Spara "
        "ordern igen så visas varför; när den är rättad skickas den.",
        "en": "Not sent: the order cannot be sent to Fortnox as it stands. Save the order again "
        "to see why; once corrected, it is sent.",
    },
    "status.failed.rows_beyond_limit": {
        "sv": "Ändringen skickades inte: dokumentet i Fortnox har rader som lagts till där, och "
        "med dem får det fler rader än Fortnox tillåter. Ta bort rader ur ordern och spara den, "
        "eller låt den som sköter bokföringen ta bort de tillagda raderna i Fortnox och spara "
        "sedan ordern igen.",
        "en": "The change was not sent: the document in Fortnox has rows added there, and with "
        "them it would have more rows than Fortnox allows. Remove rows from the order and save "
        "it, or ask your bookkeeper to remove the added rows in Fortnox and then save the order "
        "again.",
    },
    "status.failed.other": {
        "sv": "Inte skickad till Fortnox. Kontakta administratören av integrationen.",
        "en": "Not sent to Fortnox. Contact the integration's administrator.",
    },
}
