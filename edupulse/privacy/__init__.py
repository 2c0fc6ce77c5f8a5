"""Student privacy and district isolation: PII scan, pseudonymised exports, k-anonymity,
row-level security, audit log, retention, backup and restore."""
