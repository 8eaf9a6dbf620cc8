"""Per-entity rules: defaults, validation, computed fields; one module per Upsales entity."""
