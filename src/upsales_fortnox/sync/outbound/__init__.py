"""Upsales → Fortnox: won deals become Fortnox invoices or orders, companies Fortnox customers.

Pure parts: :mod:`.money`, :mod:`.rows`, :mod:`.document`, :mod:`.company`, :mod:`.merge`,
:mod:`.validation`, :mod:`.decide` (companies), :mod:`.document_decision`. The jobs that apply
them: :mod:`.won_deals` and :mod:`.company_sync`.
"""
