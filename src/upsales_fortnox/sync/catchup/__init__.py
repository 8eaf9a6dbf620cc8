"""Catching up Upsales changes that no hook brought in (``upsales.reconcile`` jobs).

:mod:`upsales_fortnox.domain.catchup` says, without I/O, which changes need a job;
:mod:`.checkpoints` holds the catch-up's checkpoints; :mod:`.run` is one run for one
installation (reading links, recorded hooks and feeding the intake through the repositories);
:mod:`.schedule` queues runs and registers the job.
"""
