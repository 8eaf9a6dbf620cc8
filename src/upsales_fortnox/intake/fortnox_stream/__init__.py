"""Consumer of Fortnox's WebSocket change stream: one connection for every installation, its
events recorded into the intake with their offsets (:mod:`.consumer`, :mod:`.recording`; the
offsets are kept by :mod:`upsales_fortnox.intake.repository.stream_offsets`; the wire protocol
is :mod:`upsales_fortnox.integrations.fortnox.stream`)."""
