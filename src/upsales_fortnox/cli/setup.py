"""What every command does first: read the settings and set up logging by them.

A command's log lines (an API client's retries, say) then follow ``LOG_FORMAT`` and go through
the same redaction as the service's, instead of Python's bare fallback.
"""

from __future__ import annotations

from upsales_fortnox.core.config import Settings, load_settings, require_fortnox_client
from upsales_fortnox.core.logging_setup import configure_logging


def command_settings(*, calls_fortnox: bool) -> Settings:
    """The settings; a command that ``calls_fortnox`` (or hands out its client) also refuses a
    blank Fortnox client, naming the variable, where the others run without one."""
    settings = load_settings()
    if calls_fortnox:
        require_fortnox_client(settings)
    configure_logging(settings.log_format, settings.log_level)
    return settings
