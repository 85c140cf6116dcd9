"""Agencies, their API keys and purpose-bound policies."""

from app.agencies.router import admin_router, router

__all__ = ["admin_router", "router"]
