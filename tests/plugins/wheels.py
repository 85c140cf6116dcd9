"""Build a test plugin's wheel from its pyproject.toml with the standard library alone.

The plugin tests install each package here with pip (``pip install --no-deps
--no-index --target DIR``), as any package is installed. pip cannot *build* them
offline, though: with ``--no-build-isolation`` setuptools needs ``bdist_wheel``,
which it has only from version 70.1 (older ones need the ``wheel`` package), and a
Python 3.12 venv has no setuptools at all. So the wheel is built here: the files
setuptools puts in a wheel of a package this simple (checked against setuptools
84's), read from the same ``pyproject.toml`` tables. Anything else in those tables
is refused rather than left out silently.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tomllib
import zipfile
from pathlib import Path

PROJECT_KEYS = {"name", "version", "description", "requires-python", "dependencies", "entry-points"}


def build_wheel(project: Path, out: Path) -> Path:
    """Write ``{name}-{version}-py3-none-any.whl`` for ``project`` into ``out``."""
    config = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    meta = config["project"]
    if unsupported := set(meta) - PROJECT_KEYS:
        raise ValueError(f"{project.name}: [project] keys this builder ignores: {unsupported}")
    stem = f"{re.sub(r'[-_.]+', '_', meta['name']).lower()}-{meta['version']}"
    dist_info = f"{stem}.dist-info"
    files: dict[str, bytes] = {}
    for package in config["tool"]["setuptools"]["packages"]:
        directory = project / package.replace(".", "/")
        for module in sorted(directory.glob("*.py")):  # subpackages are listed on their own
            files[module.relative_to(project).as_posix()] = module.read_bytes()
    metadata = ["Metadata-Version: 2.1", f"Name: {meta['name']}", f"Version: {meta['version']}"]
    if "description" in meta:
        metadata.append(f"Summary: {meta['description']}")
    if "requires-python" in meta:
        metadata.append(f"Requires-Python: {meta['requires-python']}")
    metadata += [f"Requires-Dist: {requirement}" for requirement in meta.get("dependencies", [])]
    files[f"{dist_info}/METADATA"] = "\n".join([*metadata, ""]).encode()
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: tests.plugins.wheels\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n"
    )
    groups = meta.get("entry-points", {})
    files[f"{dist_info}/entry_points.txt"] = "\n".join(
        f"[{group}]\n" + "".join(f"{n} = {t}\n" for n, t in sorted(groups[group].items()))
        for group in sorted(groups)
    ).encode()
    record = f"{dist_info}/RECORD"
    lines = [f"{path},sha256={_digest(data)},{len(data)}" for path, data in files.items()]
    files[record] = "\n".join([*lines, f"{record},,", ""]).encode()
    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
