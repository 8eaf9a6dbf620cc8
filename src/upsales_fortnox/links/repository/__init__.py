"""The tables of links between Upsales and Fortnox records, each written by one module here:
``links`` (:mod:`.links`), ``document_intents`` (:mod:`.document_intents`) and
``custom_field_ids`` (:mod:`.custom_field_ids`). :mod:`.link_reads` holds the reads of many
links at once, :mod:`.won_deal_links` the won deal's."""
