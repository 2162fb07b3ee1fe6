"""accounts bounded context."""
