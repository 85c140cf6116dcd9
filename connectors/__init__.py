"""Connectors: clients that behave like the organisations calling the registry.

``Connector`` is the base a new one subclasses (see docs/connectors.md);
``discover()`` lists the built-in ones and installed plugins; ``run()`` drives one
at a rate. Each connector talks through a ``RegistryClient`` (credentials,
retries with backoff and jitter, request ids, the client-side call log).
"""

from connectors.base import Connector, ConnectorError
from connectors.calls import Call, CallLog, Summary, summarise
from connectors.client import Credentials, RegistryClient, RetryPolicy
from connectors.registry import GROUP, Broken, Found, discover
from connectors.runner import Progress, RunPlan, RunResult, make_connector, run

__all__ = [
    "GROUP",
    "Broken",
    "Call",
    "CallLog",
    "Connector",
    "ConnectorError",
    "Credentials",
    "Found",
    "Progress",
    "RegistryClient",
    "RetryPolicy",
    "RunPlan",
    "RunResult",
    "Summary",
    "discover",
    "make_connector",
    "run",
    "summarise",
]
