"""Shared test support: backing services, fixtures and factories."""
