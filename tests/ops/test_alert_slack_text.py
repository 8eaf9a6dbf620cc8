"""A Slack-format alert shows the installation's name as typed: Slack reads ``<...>`` as a
link or a mention (``<!channel>`` notifies everyone) and ``&`` as the start of an entity, so
they are escaped as Slack asks; the JSON format carries the words as they are."""

from __future__ import annotations

from datetime import UTC, datetime

from upsales_fortnox.models.operations import AlertState
from upsales_fortnox.ops.alert_delivery import alert_body

NAME = "Bygg & Co <!channel> <https://evil.example|Logga in>"


def _row() -> AlertState:
    return AlertState(
        cause="dead_jobs:x:upsales.order",
        kind="dead_jobs",
        summary=f"{NAME}: 1 dead upsales.order job(s) wait for a retry.",
        raised_at=datetime(2026, 12, 7, tzinfo=UTC),
    )


def test_a_slack_alert_escapes_what_slack_would_read_as_markup() -> None:
    text = alert_body(_row(), "raised", "slack")["text"]
    assert "Bygg &amp; Co &lt;!channel&gt; &lt;https://evil.example|Logga in&gt;" in text
    assert "<!channel>" not in text and "<https://" not in text
    assert text.startswith(":rotating_light: [dead_jobs] ")


def test_a_json_alert_keeps_the_words_as_they_are() -> None:
    assert alert_body(_row(), "raised", "json")["summary"].startswith(NAME)
