"""A connector module that fails on import, as a plugin with a missing dependency would."""

raise RuntimeError("popreg_broken.explodes cannot be imported (deliberately)")
