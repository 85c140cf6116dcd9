"""Deliberately broken connectors, one per way a plugin can fail discovery.

- ``explodes``: its module raises while being imported;
- ``not_a_connector``: the entry point names a class that is not a ``Connector``;
- ``bank``: a plugin may not take a built-in connector's name.
"""


class NotAConnector:
    """Has a name and tasks, but does not subclass ``connectors.Connector``."""

    name = "not_a_connector"
    tasks = {"nothing": 1}  # noqa: RUF012 - deliberately not a Connector
