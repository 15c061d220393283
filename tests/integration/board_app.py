"""The fleet's monitoring app: the built-in API and dashboard on Prometheus
(``RFS_FLEET_PROMETHEUS_URL``), run by ``uvicorn board_app:app`` in the fleet test."""

from __future__ import annotations

import os

from fastapi import FastAPI

from rfs_monitoring import monitoring_router
from rfs_monitoring.sources import PrometheusSource

app = FastAPI()
app.include_router(
    monitoring_router(
        source=PrometheusSource(os.environ["RFS_FLEET_PROMETHEUS_URL"], timeout=5),
        start_alerts=False,
        cache_seconds=0,
    )
)
