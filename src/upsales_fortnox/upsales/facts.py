"""What we believe about Upsales that its documentation does not settle, in one place.

Each fact names its source, or says *unverified* when no source settles it; the code that uses
a fact survives the other plausible answer too (the note says how).
"""

from __future__ import annotations

from typing import Final

# --- externalValues: the choices a config field reads live --------------------------------

#: How Upsales authenticates its call to a field's ``externalValuesUrl``: *unverified*. App
#: hooks carry the customer API key in the body's ``apiKey`` (upsales.md §5); for
#: externalValues we accept the key in that body field (a POST), in the query parameter below
#: or in the header below, whichever arrives.
EXTERNAL_VALUES_KEY_BODY_FIELD: Final = "apiKey"
EXTERNAL_VALUES_KEY_QUERY: Final = "apiKey"
EXTERNAL_VALUES_KEY_HEADER: Final = "X-Upsales-Api-Key"
#: The HTTP method of that call: *unverified*; we serve both GET and POST.
EXTERNAL_VALUES_METHODS: Final = ("GET", "POST")
#: The shape of the answer: *unverified*; the configJson ``values`` shape
#: (``[{"name", "value"}]``, as the app template's static ``values`` are written).
EXTERNAL_VALUE_NAME: Final = "name"
EXTERNAL_VALUE_VALUE: Final = "value"
