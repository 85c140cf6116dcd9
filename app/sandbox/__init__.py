"""Sandbox helpers: the persona catalogue, and random citizens for simulators."""

from app.sandbox.router import router

__all__ = ["router"]
