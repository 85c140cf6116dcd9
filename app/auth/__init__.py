"""Authentication (API keys, OAuth2 tokens) and purpose-bound authorisation."""
