"""The workshop dashboard: live traffic, audit feed, policy matrix, data tracker."""

from app.dashboard.metrics import MetricsMiddleware, TrafficMetrics
from app.dashboard.router import router

__all__ = ["MetricsMiddleware", "TrafficMetrics", "router"]
