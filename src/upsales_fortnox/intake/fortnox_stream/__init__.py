"""Consumer of Fortnox's WebSocket change stream: one connection for every installation, its
events recorded into the intake with their offsets (:mod:`.consumer`, :mod:`.store`; the wire
protocol is :mod:`upsales_fortnox.integrations.fortnox.stream`)."""
