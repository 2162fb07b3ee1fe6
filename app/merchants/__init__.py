"""merchants bounded context."""
