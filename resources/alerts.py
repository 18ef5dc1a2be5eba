"""`AlertResource`: tells a person that a sync failed or stopped - always in the Dagster log, and as a
Slack-compatible JSON message to an incoming-webhook URL when one is configured.

    alerts.send(Alert("BOM sync failed", flow="bom_sync", partition="ASM-10002", run_id=run_id,
                      error="ERP unavailable (503)", correlation_id=run_id), logger=context.log)

The URL usually carries a token in its path (Slack, Teams): it is registered as a secret, so it never
reaches a log line; pass it as `dg.EnvVar("MFG_SYNC_ALERT_WEBHOOK_URL")`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import dagster as dg
from pydantic import Field

from resources.transport import ApiClient, ApiError, RetryPolicy, Timeouts, TransportPolicy, register_secret

log = logging.getLogger("resources.alerts")
SEVERITIES = ("warning", "error", "critical")


@dataclass(frozen=True)
class Alert:
    """One message for a person: what happened, to which flow and partition, in which run, and why."""

    title: str
    flow: str
    partition: str
    run_id: str
    error: str
    correlation_id: str
    severity: str = "error"

    def text(self) -> str:
        """The one-paragraph plain form (Slack's fallback `text`, and the log line)."""
        return (
            f"[{self.severity.upper()}] {self.title}: flow={self.flow} partition={self.partition or '-'} "
            f"run={self.run_id or '-'} correlation_id={self.correlation_id or '-'} error={self.error}"
        )

    def slack_message(self) -> dict[str, Any]:
        """Slack incoming-webhook JSON: a `text` fallback plus blocks with one field per fact."""
        facts = {
            "Flow": self.flow,
            "Partition": self.partition or "-",
            "Run": self.run_id or "-",
            "Correlation id": self.correlation_id or "-",
        }
        return {
            "text": self.text(),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": self.title[:150]}},
                {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in facts.items()]},
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*Error*\n```{self.error[:2800]}```"}},
            ],
        }


class AlertResource(dg.ConfigurableResource):
    """Where alerts go: the Dagster log always; `webhook_url` (Slack-compatible) too when set."""

    webhook_url: str = Field(default="", description="Slack-compatible incoming webhook URL (use EnvVar).")
    timeout_s: float = 10.0
    max_attempts: int = Field(default=3, description="Attempts per alert POST, the first included.")

    @classmethod
    def from_env(cls) -> AlertResource:
        """MFG_SYNC_ALERT_WEBHOOK_URL (as an EnvVar, so the URL's token never shows in the UI) when set."""
        if os.environ.get("MFG_SYNC_ALERT_WEBHOOK_URL"):
            return cls(webhook_url=dg.EnvVar("MFG_SYNC_ALERT_WEBHOOK_URL"))
        return cls()

    def send(self, alert: Alert, logger: Any = None) -> bool:
        """Log the alert, then POST it when a URL is configured. True when delivered (or log-only).

        A failed delivery is logged and returns False: an alert must never break the sensor sending it.
        """
        if alert.severity not in SEVERITIES:
            raise ValueError(f"alert {alert.title!r}: severity {alert.severity!r} not in {SEVERITIES}")
        (logger or dg.get_dagster_logger()).error(alert.text())
        url = self._url()
        if not url:
            return True
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            (logger or log).warning("alert not delivered: the alert webhook URL is not an http(s) URL")
            return False
        if len(parts.path) > 8:  # a token-bearing path (Slack's /services/T../B../xyz) stays out of logs
            register_secret(parts.path)
        policy = TransportPolicy(
            timeouts=Timeouts(connect_s=self.timeout_s, read_s=self.timeout_s),
            retry=RetryPolicy(
                max_attempts=self.max_attempts,
                backoff_initial_s=0.5,
                backoff_max_s=5.0,
                total_budget_s=3 * self.timeout_s,
            ),
        )
        try:
            with ApiClient(
                "alerts", f"{parts.scheme}://{parts.netloc}", policy=policy, correlation_id=alert.correlation_id or None
            ) as client:
                # retried like a read: a rare duplicate message beats a lost one
                client.post(
                    parts.path or "/",
                    params=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    json=alert.slack_message(),
                    route="/alert-webhook",
                    idempotent=True,
                )
        except ApiError as err:
            (logger or log).warning(f"alert {alert.title!r} not delivered to the alert webhook: {err}")
            return False
        return True

    def _url(self) -> str:
        value: Any = self.webhook_url
        if isinstance(value, dg.EnvVar):
            value = value.get_value() or ""
        return str(value).strip()
