"""Which gateway the configuration gives: Stripe with a key, else the built-in test gateway."""

from __future__ import annotations

import fakeredis
import pytest

from app.config import ConfigurationError, load_settings
from app.payments.builtin_gateway import TestGateway
from app.payments.gateways import InvalidSignature, verified_event
from app.payments.rules import derived_webhook_secret
from app.payments.services import gateway_from_config
from app.payments.stripe_gateway import StripeGateway

BASE = {"SECRET_KEY": "install-secret", "REDIS_URL": ""}


def test_settings_default_to_the_test_gateway(tmp_path):
    settings = load_settings(tmp_path, {"SECRET_KEY": "x" * 64})
    assert settings["STRIPE_SECRET_KEY"] == ""
    assert settings["STRIPE_API_BASE"] == "https://api.stripe.com"
    assert settings["STRIPE_TIMEOUT_SECONDS"] == 10.0
    assert settings["TEST_GATEWAY_IN_PRODUCTION"] is False
    assert isinstance(gateway_from_config(settings), TestGateway)


def test_a_stripe_key_selects_stripe():
    config = {**BASE, "STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_1"}
    gateway = gateway_from_config(config)
    assert isinstance(gateway, StripeGateway)
    assert gateway.name == "stripe"


def test_stripe_without_a_webhook_secret_is_refused():
    with pytest.raises(ConfigurationError, match="STRIPE_WEBHOOK_SECRET"):
        gateway_from_config({**BASE, "STRIPE_SECRET_KEY": "sk_test_1"})


def test_production_needs_stripe_unless_the_test_gateway_is_explicitly_allowed():
    with pytest.raises(ConfigurationError, match="STRIPE_SECRET_KEY"):
        gateway_from_config({**BASE, "PRODUCTION": True})
    allowed = {**BASE, "PRODUCTION": True, "TEST_GATEWAY_IN_PRODUCTION": True}
    assert isinstance(gateway_from_config(allowed), TestGateway)


def test_the_test_gateway_signs_with_the_configured_or_derived_secret():
    redis = fakeredis.FakeRedis()
    derived = gateway_from_config(BASE, redis)
    configured = gateway_from_config({**BASE, "TEST_GATEWAY_WEBHOOK_SECRET": "whsec_set"}, redis)
    payload = b'{"id": "evt_1", "type": "customer.created", "data": {"object": {}}}'

    assert verified_event(
        payload, derived.signature(payload), derived_webhook_secret(BASE["SECRET_KEY"])
    )
    assert verified_event(payload, configured.signature(payload), "whsec_set")
    with pytest.raises(InvalidSignature):
        verified_event(payload, derived.signature(payload), "whsec_set")
