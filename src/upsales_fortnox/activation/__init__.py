"""Activation: the Fortnox login ("Logga in i Fortnox") that connects an installation.

``state`` signs and checks the OAuth ``state`` parameter (pure); ``repository`` keeps each
login's nonce single use in the database; ``login`` starts a login and completes it at the
callback.
"""
