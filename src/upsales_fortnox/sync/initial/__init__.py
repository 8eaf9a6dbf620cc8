"""The initial sync: importing a newly connected Fortnox company into Upsales, as one resumable
job (``initial_sync``), and its dry-run preview.

* ``phases``: which registers are imported, in which order, per ``syncType`` (pure).
* ``progress``: the checkpointed state and per-phase progress, rate and ETA (pure).
* ``indexes``: compact indexes of what Upsales already holds, streamed page by page.
* ``importer``: the page-by-page import, using the inbound sync's matching and mapping rules;
  ``read_ahead``: the first document pages read while customers and articles import.
* ``handler``: the job handler; ``control``: starting it and reading its progress;
  ``preview``: the same matching with nothing written.
"""
