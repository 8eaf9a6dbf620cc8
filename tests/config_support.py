"""The start refusing one environment variable."""

from __future__ import annotations

import pytest

from upsales_fortnox.core.config import ConfigError, load_settings


def refusal_of(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> str:
    """The message the start refuses ``variable`` set to ``value`` with; it names the variable."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    message = str(refused.value)
    assert variable in message
    return message
