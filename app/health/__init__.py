"""Liveness and readiness probes."""

from app.health.router import router

__all__ = ["router"]
