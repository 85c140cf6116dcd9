"""Sandbox helpers for integration developers: the persona catalogue."""

from app.sandbox.router import router

__all__ = ["router"]
