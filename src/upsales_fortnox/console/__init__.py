"""The operator web console at ``/console``: server-rendered pages over the operator services.

Behind the operator token: a login form opens a signed, HttpOnly session cookie, and every
action carries a CSRF token bound to that session. The pages call the same functions the
operator API calls, and show its error codes and messages.
"""

from upsales_fortnox.console.routes import install_console

__all__ = ["install_console"]
