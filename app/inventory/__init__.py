"""inventory bounded context."""
