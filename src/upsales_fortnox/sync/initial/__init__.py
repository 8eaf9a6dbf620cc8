"""The initial sync: importing a newly connected Fortnox company into Upsales, as one resumable
job (``initial_sync``), and its dry-run preview.

* ``phases``: which registers are imported, in which order, per ``syncType`` (pure).
* ``progress``: the checkpointed state and per-phase progress, rate and ETA (pure).
* ``indexes``: compact indexes of what Upsales already holds, streamed page by page.
* ``importer``: the page-by-page import (``import_context``: what it runs with;
  ``import_outcomes``: each entity's outcome, its commands carried out by the interpreter); one
  module per phase: ``import_customers``, ``import_articles``, ``import_documents`` with
  ``read_documents`` (reading and importing documents) and ``read_ahead`` (pages read ahead of
  the import: the first document phase's documents, the articles' prices).
* ``handler``: the job handler; ``control``: starting it and reading its progress;
  ``preview``: the same import on a recorder, nothing written.
"""
