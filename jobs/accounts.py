"""Account jobs: the work behind the sign-up and forgot-password forms, done after the answer so
the answer takes as long whether or not an account has the address."""

from __future__ import annotations

from flask import current_app

from app.accounts import services
from app.database import db
from app.extensions import redis_client
from jobs.runtime import external_url, with_app_context


@with_app_context
def send_password_reset(email: str, key: str) -> None:
    """Email a reset link if an active account has the address (see
    `services.request_password_reset`); `key` names the request."""
    services.request_password_reset(
        db.session,
        email=email,
        max_age_seconds=current_app.config["PASSWORD_RESET_MAX_AGE"],
        reset_url=lambda token: external_url("accounts.reset_password", token=token),
        key=key,
    )


@with_app_context
def register_or_notify(registration: dict, key: str) -> None:
    """Email the link that finishes a sign-up, or tell the address's owner they have an account
    (see `services.register_or_notify`); `key` names the sign-up attempt."""
    app = current_app._get_current_object()
    services.register_or_notify(
        db.session,
        redis_client(app),
        services.Registration(**registration),
        key=key,
        max_age_seconds=app.config["REGISTRATION_MAX_AGE"],
        links=services.RegistrationLinks(
            confirm=lambda token: external_url("accounts.confirm_registration", token=token),
            login=external_url("accounts.login"),
            reset=external_url("accounts.forgot_password"),
        ),
    )
