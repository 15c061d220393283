"""The rows of the dashboard's tables: figures and alert events turned into text."""

from __future__ import annotations

import datetime as dt

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs_monitoring.alerts import AlertConfiguration, AlertEvent, AlertStatus
from rfs_monitoring.dashboard import page
from rfs_monitoring.dashboard.page import operation_rows, option_tags
from rfs_monitoring.dashboard.rows import (
    AlertRow,
    HistoryRow,
    OperationRow,
    alert_row,
    history_row,
    ms,
    pct,
    when,
)
from rfs_monitoring.dashboard.view import Option

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


_TEXT = st.text(alphabet=st.sampled_from("ab&<>\"'\x00 –%.,é"), max_size=6)
_OLD_LOOP = jinja2.Environment(autoescape=True).from_string(
    '{% for op in rows %}<tr><td><a class="op-link" href="{{ op.link }}" '
    'data-operation="{{ op.name }}">{{ op.name }}</a></td><td class="num">{{ op.requests }}'
    '</td><td class="num">{{ op.availability }}</td><td class="num">{{ op.client_errors }}'
    '</td><td class="num">{{ op.success }}</td><td class="num">{{ op.p50 }}</td>'
    '<td class="num">{{ op.p90 }}</td><td class="num">{{ op.p99 }}</td><td class="num">'
    '{{ op.rps }}</td><td class="num">{{ op.rps_now }}</td><td><span class="status '
    'status-{{ op.status }}" title="{{ op.reasons }}">{{ op.status }}</span></td></tr>\n'
    "  {% endfor %}"
)


class TestOperationRowsHtml:
    """``page.operation_rows`` writes what a template loop over the rows writes."""

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.builds(OperationRow, *([_TEXT] * 13)), max_size=4))
    def test_rows_are_the_template_loops_escaped_html(self, rows: list[OperationRow]) -> None:
        assert str(operation_rows(rows)) == _OLD_LOOP.render(rows=rows)

    def test_the_page_shows_each_row_once_with_its_values_escaped(self) -> None:
        row = OperationRow(
            '<script>"x"</script>', "?op=%3Cs%3E", "1,234", "99.50%", "0.10%", "99.40%",
            "1.5 ms", "9.0 ms", "12.0 ms", "2.00", "1.50", "degraded", "p99 & more",
        )  # fmt: skip
        html = str(operation_rows([row, row]))
        assert html.count("<tr>") == 2
        assert "<script>" not in html
        assert "&lt;script&gt;&#34;x&#34;&lt;/script&gt;" in html
        assert 'title="p99 &amp; more"' in html

    def test_a_long_table_leaves_the_event_loop_its_turns(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # rendered on the query worker: a pause (``pauses.pause``) may come after each row
        calls: list[int] = []
        monkeypatch.setattr(page, "pause", lambda: calls.append(1))
        row = OperationRow("x", "x", "1", "x", "x", "x", "x", "x", "x", "x", "x", "healthy", "")
        operation_rows([row] * 50)
        option_tags([Option("x", "x", False)] * 30)
        assert len(calls) == 80


_OLD_OPTIONS = jinja2.Environment(autoescape=True).from_string(
    '{% for o in options %}<option value="{{ o.value }}"{% if o.selected %} selected{% endif %}>'
    "{{ 'all operations' if all and o.value == '*' else o.label }}</option>{% endfor %}"
)


class TestOptionTags:
    """``page.option_tags`` writes what a template loop over the options writes."""

    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(
            st.builds(Option, st.one_of(st.just("*"), _TEXT), _TEXT, st.booleans()), max_size=4
        ),
        st.booleans(),
    )
    def test_options_are_the_template_loops_escaped_html(
        self, options: list[Option], labelled_all: bool
    ) -> None:
        html = option_tags(options, "all operations" if labelled_all else None)
        assert str(html) == _OLD_OPTIONS.render(options=options, all=labelled_all)
