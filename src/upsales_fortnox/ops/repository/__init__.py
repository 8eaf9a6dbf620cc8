"""The operators' tables (raised alerts, connection checks) and the reads of the queue, the
installations and their connections that alerts, health, metrics and the console show."""
