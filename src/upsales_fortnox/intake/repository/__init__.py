"""The intake's repository: every statement on ``inbound_events`` and ``stream_offsets``, and
the intake's reads of installations (webhook lookups, the installations the Fortnox stream
follows). The jobs the events queue are written through the queue's store
(:mod:`upsales_fortnox.jobs.store`)."""
