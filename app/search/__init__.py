"""search bounded context."""
