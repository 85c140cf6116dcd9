"""Which connectors exist: the built-in ones and plugins under the ``popreg.connectors`` group.

A plugin is any installed package that declares, in its ``pyproject.toml``::

    [project.entry-points."popreg.connectors"]
    pharmacy = "popreg_pharmacy:PharmacyConnector"

A plugin that cannot be imported, or is not a ``Connector``, is reported and
skipped: one broken package never stops the others.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points

from connectors.base import Connector

GROUP = "popreg.connectors"
BUILTIN = {
    "bank": "connectors.builtin.bank:BankConnector",
    "telecom": "connectors.builtin.telecom:TelecomConnector",
    "hospital": "connectors.builtin.hospital:HospitalConnector",
    "social_insurance": "connectors.builtin.social_insurance:SocialInsuranceConnector",
    "civil_registry": "connectors.builtin.civil_registry:CivilRegistryConnector",
    "portal": "connectors.builtin.portal:PortalConnector",
}


@dataclass(frozen=True, slots=True)
class Found:
    name: str
    connector: type[Connector]
    source: str  # "built-in" or the distribution that provides it


@dataclass(frozen=True, slots=True)
class Broken:
    name: str
    target: str
    error: str


def _load(target: str) -> object:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _check(name: str, loaded: object) -> type[Connector]:
    if not (isinstance(loaded, type) and issubclass(loaded, Connector)):
        raise TypeError(f"{loaded!r} is not a subclass of connectors.Connector")
    for attribute in ("name", "title", "agency", "sector", "purposes", "tasks"):
        if not hasattr(loaded, attribute):
            raise TypeError(f"{loaded.__name__} does not declare {attribute!r}")
    if not loaded.tasks:
        raise TypeError(f"{loaded.__name__} declares no tasks")
    return loaded


def discover() -> tuple[dict[str, Found], list[Broken]]:
    """Every connector by name (plugins may not shadow built-ins), and the broken ones."""
    found: dict[str, Found] = {}
    broken: list[Broken] = []
    for name, target in BUILTIN.items():
        found[name] = Found(name, _check(name, _load(target)), "built-in")
    for entry in entry_points(group=GROUP):
        if entry.name in found:
            broken.append(Broken(entry.name, entry.value, "a built-in connector has that name"))
            continue
        try:
            connector = _check(entry.name, entry.load())
            if connector.name != entry.name:
                raise TypeError(
                    f"entry point {entry.name!r} names a connector called {connector.name!r}; "
                    "they must be the same (the call log and Locust use the class's name)"
                )
        except Exception as exc:  # any failure of someone else's package: report, skip
            broken.append(Broken(entry.name, entry.value, f"{type(exc).__name__}: {exc}"))
            continue
        distribution = entry.dist.name if entry.dist is not None else "unknown package"
        found[entry.name] = Found(entry.name, connector, distribution)
    return found, broken
