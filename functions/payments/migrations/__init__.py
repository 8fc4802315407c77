"""Versioned SQL files, applied in order by payments.schema_migrations."""
