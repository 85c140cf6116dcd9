"""The sandbox endpoints are tested against the registry seeded by the seed tests."""

from tests.seed.conftest import scratch_databases, seed_engines  # noqa: F401 - fixtures
