"""Sector records pushed by the agencies that issue them (enrichment), versioned and audited."""
