"""The merchant dashboard's routes: it names no object, so only who may open it is checked here
(that it shows only the merchant's own figures is tests/integration/test_portal_dashboard.py)."""

from __future__ import annotations

from tests.portal_access import RouteCase

CASES = [RouteCase("portal.dashboard")]
