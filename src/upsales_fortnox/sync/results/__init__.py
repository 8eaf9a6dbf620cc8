"""The typed result of each sync job kind: what its handler returns and its job stores.

Keys that name records (``upsales_order``, ``fortnox_invoice``, see
:func:`upsales_fortnox.vocabulary.upsales_id_key`) are what the history of an entity searches;
:mod:`.by_kind` reads a stored result back as its kind's type.
"""
