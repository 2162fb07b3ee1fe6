"""media bounded context."""
