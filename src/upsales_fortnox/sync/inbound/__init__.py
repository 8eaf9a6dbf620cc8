"""Fortnox → Upsales: customers, articles (products) and documents (orders, invoices, offers).

Pure core (no I/O; the initial import reuses it):

* :mod:`.companies`: ``match_company`` / ``CompanyIndex`` (create | link | ambiguous),
  ``new_company``, ``company_changes``, ``customer_fingerprint``
  (``org_number_variants`` and ``name_spellings`` in :mod:`upsales_fortnox.domain.identity`);
  :mod:`.decide_customer`: ``decide_customer``.
* :mod:`.products`: ``product_fields``, ``new_product``, ``decide_article``, ``reprice_changes``.
* :mod:`.documents`: ``document_lines``, ``new_order``, ``order_content``, ``predecessor``;
  :mod:`.decide_document`: ``plan_document``, ``document_commands``.
* :mod:`.users`: ``match_user``, ``order_user``.

Shell: :mod:`.fortnox_jobs` (``register_inbound_handlers``), :mod:`.customer_sync`,
:mod:`.article_sync`, :mod:`.document_sync`, :mod:`.reprice` (``enqueue_reprice``),
:mod:`.runtime`.
"""
