"""The sync's own table, ``reconcile_checkpoints`` (:mod:`.reconcile_checkpoints`, its one
writer), and what the sync reads of tables other packages write that their repositories do not
offer: jobs (:mod:`.sync_job_reads`), an installation with its settings (:mod:`.installation_reads`)
and recorded hooks (:mod:`.hook_reads`)."""
