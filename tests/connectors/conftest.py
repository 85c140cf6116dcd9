"""Fixtures for the connector tests.

``town`` and ``live``: a committed town of citizens of its own and the app
in-process (see ``live.py``), for runs that change citizens. ``plugin_*``: the
third-party connector packages under ``tests/plugins/``, installed by pip once per
session into directories of their own, never into the project's venv.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.config import Settings
from tests.conftest import Registry
from tests.connectors.live import Live, Town, serving, town_for
from tests.plugins.wheels import build_wheel

PLUGIN_PROJECTS = Path(__file__).parents[1] / "plugins"


@pytest.fixture(scope="session")
def plugin_installs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each plugin project (``popreg-pharmacy``, …) → the directory pip installed it into."""
    root = tmp_path_factory.mktemp("plugins")
    installs: dict[str, Path] = {}
    for project in sorted(PLUGIN_PROJECTS.glob("*/pyproject.toml")):
        wheel = build_wheel(project.parent, root / "wheels")
        target = root / project.parent.name
        command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index"]
        command += ["--disable-pip-version-check", "--quiet", "--target", str(target), str(wheel)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"pip could not install {wheel.name}:\n{done.stderr}"
        installs[project.parent.name] = target
    return installs


@pytest.fixture(scope="session")
def plugin_env(plugin_installs: dict[str, Path]) -> dict[str, str]:
    """The environment of a process that has every test plugin installed."""
    paths = [str(path) for path in plugin_installs.values()]
    inherited = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, *filter(None, [inherited])])}


@pytest.fixture
def town(engine: Engine, registry: Registry) -> Town:
    return town_for(engine)


@pytest.fixture
async def live(settings: Settings, town: Town) -> AsyncIterator[Live]:
    async with serving(settings) as app:
        yield app
