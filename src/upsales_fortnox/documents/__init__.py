"""Links to Fortnox document PDFs that Upsales orders carry (``FORTNOX_DOCUMENT_URL``)."""
