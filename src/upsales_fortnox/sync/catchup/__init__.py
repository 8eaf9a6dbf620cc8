"""Catching up Upsales changes that no hook brought in (``upsales.reconcile`` jobs).

:mod:`.decide` says, without I/O, which changes need a job; :mod:`.store` holds the database
side (checkpoints, links, recorded hooks, the intake); :mod:`.run` is one run for one
installation; :mod:`.schedule` queues runs and registers the job.
"""
