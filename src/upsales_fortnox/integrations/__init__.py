"""The clients of the two external systems, Fortnox and Upsales, and what they share.

Nothing here imports the rest of the application: what a client needs from it (tokens, a
shared request budget, metrics hooks) is passed in. Shared by both clients: the failure classes
the job worker acts on (:mod:`.errors`), the request pacing (:mod:`.pacing`,
:mod:`.shared_pacing`), the retry policy (:mod:`.retry`) and exact JSON (:mod:`.jsonwire`).
What the sync needs from each system is typed in :mod:`.ports`.
"""
