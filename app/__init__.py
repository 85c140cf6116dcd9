"""popreg: a sandbox of a national population database, with synthetic citizens only."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("popreg")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
