"""The reconciliation report: both systems side by side for a period, and every difference."""
