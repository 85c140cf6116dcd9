"""Command-line options that several `popreg` commands share."""

from __future__ import annotations

from typing import Annotated

import typer

AdminTokenOption = Annotated[
    str,
    typer.Option(
        envvar="POPREG_ADMIN_TOKEN",
        help="Admin token, to sample citizens; default: the sandbox's.",
        show_default=False,
    ),
]
