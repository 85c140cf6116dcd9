"""Third-party connector packages, each with its own pyproject.toml, installed by the tests."""
