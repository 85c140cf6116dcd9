"""Sandbox helpers: the persona catalogue, random citizens for simulators, fault injection."""

from app.sandbox.faults_cache import FaultRules
from app.sandbox.faults_middleware import FaultInjectionMiddleware
from app.sandbox.faults_router import router as faults_router
from app.sandbox.router import router

__all__ = ["FaultInjectionMiddleware", "FaultRules", "faults_router", "router"]
