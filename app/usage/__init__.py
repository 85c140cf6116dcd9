"""Usage metering and fees, counted from the audit log."""

from app.usage.router import router

__all__ = ["router"]
