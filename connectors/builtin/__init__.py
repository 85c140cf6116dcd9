"""The built-in connectors: one per sector that calls the registry in Project 06."""
