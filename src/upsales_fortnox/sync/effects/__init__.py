"""Effects targets of the command interpreter (:mod:`upsales_fortnox.sync.interpreter`): the
writer that carries commands out, the recorder that only records them, and where the writer
stores links."""
