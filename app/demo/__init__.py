"""demo bounded context."""
