"""Alembic migrations of the popreg schema (shipped inside the package)."""
