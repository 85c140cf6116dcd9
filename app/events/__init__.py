"""Life events: civil-registry operations, the change feed and webhooks."""
