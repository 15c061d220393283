"""The rows of the dashboard's tables: figures and alert events turned into text."""

from __future__ import annotations

import datetime as dt

from rfs_monitoring.alerts import AlertConfiguration, AlertEvent, AlertStatus
from rfs_monitoring.dashboard.rows import (
    AlertRow,
    HistoryRow,
    alert_row,
    history_row,
    ms,
    pct,
    when,
)

T = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
RULE = AlertConfiguration.model_validate(
    {"operation": "op", "metric": "availability", "comparison": "<", "threshold": 0.99}
)


def status(**fields: object) -> AlertStatus:
    base: dict[str, object] = {
        "alert_id": "alert-1",
        "config": RULE,
        "state": "firing",
        "value": 0.9,
        "pending_since": T,
        "fired_at": T,
        "resolved_at": None,
        "last_evaluated_at": T,
    }
    return AlertStatus(**{**base, **fields})  # type: ignore[arg-type]


class TestFormats:
    def test_missing_figures_show_a_dash(self) -> None:
        assert (pct(None), ms(None), when(None)) == ("–", "–", "–")

    def test_figures(self) -> None:
        assert (pct(0.98765), ms(1234.56), when(T)) == (
            "98.77%",
            "1,234.6 ms",
            "2026-01-02 03:04:05 UTC",
        )


class TestAlertRow:
    def test_a_firing_alert_not_yet_handled(self) -> None:
        assert alert_row(status()) == AlertRow(
            alert_id="alert-1",
            label="op availability < 0.99",
            severity="warning",
            operation="op",
            condition="availability < 0.99 over 5m",
            value="0.9",
            firing_since="2026-01-02 03:04:05 UTC",
            acknowledged="",
            silenced_until="",
        )

    def test_acknowledged_silenced_and_without_data(self) -> None:
        row = alert_row(
            status(
                value=None,
                reason="over the cardinality cap",
                acknowledged_at=T,
                silenced_until=T + dt.timedelta(hours=1),
            )
        )
        assert row.value == "no data: over the cardinality cap"
        assert row.acknowledged == "2026-01-02 03:04:05 UTC"
        assert row.silenced_until == "2026-01-02 04:04:05 UTC"
        assert alert_row(status(value=None)).value == "no data"


class TestHistoryRow:
    def event(self, **fields: object) -> AlertEvent:
        base: dict[str, object] = {
            "alert_id": "alert-1",
            "name": "n",
            "previous_state": "pending",
            "state": "firing",
            "value": 0.9,
            "threshold": 0.99,
            "timestamp": T,
            "message": "m",
        }
        return AlertEvent(**{**base, **fields})  # type: ignore[arg-type]

    def test_a_state_change_shows_both_states(self) -> None:
        assert history_row(self.event()) == HistoryRow(
            "2026-01-02 03:04:05 UTC", "n", "pending → firing", "m"
        )

    def test_an_action_shows_its_name(self) -> None:
        row = history_row(self.event(previous_state="firing", action="acknowledged"))
        assert row.change == "acknowledged"
