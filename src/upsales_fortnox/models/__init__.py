"""The service's tables, one module per area. Importing this package registers every table on
the metadata (migrations and the schema test rely on it)."""

from upsales_fortnox.models import installation, job, link, operations

__all__ = ["installation", "job", "link", "operations"]
