"""The sync's own table, ``reconcile_checkpoints`` (:mod:`.reconcile_checkpoints`, its one
writer), and what the sync reads of tables other packages write: jobs (:mod:`.job_reads`),
installations (:mod:`.installation_reads`) and recorded hooks (:mod:`.hook_reads`)."""
