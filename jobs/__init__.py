"""Background jobs run by RQ workers (or in-process when there is no Redis)."""
