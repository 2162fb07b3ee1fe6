"""Platform: cross-cutting web concerns (headers, errors, health, logging, job dispatch)."""
