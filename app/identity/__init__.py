"""Identity verification: personal ID structure and per-field matching rules."""
