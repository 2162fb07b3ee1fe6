"""`flask create-admin EMAIL`: create an admin, or promote an existing account."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts import services
from app.accounts.models import Role, User
from app.accounts.passwords import verify_password

PASSWORD = "correct horse battery"


def run(app, *args, prompt_input=None):
    return app.test_cli_runner().invoke(args=["create-admin", *args], input=prompt_input)


def test_creates_an_admin_with_a_password_option(app, database):
    result = run(app, "Root@Example.com", "--password", PASSWORD, "--name", "Root")

    assert result.exit_code == 0, result.output
    assert "Created admin root@example.com." in result.output
    user = database.scalar(sa.select(User))
    assert user.email == "root@example.com" and user.role == Role.ADMIN and user.name == "Root"
    assert verify_password(user.password_hash, PASSWORD)


def test_prompts_for_a_hidden_confirmed_password(app, database):
    result = run(app, "root@example.com", prompt_input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "Password" in result.output and "Repeat for confirmation" in result.output
    user = database.scalar(sa.select(User))
    assert user.role == Role.ADMIN and user.name == "root"


def test_promotes_an_existing_user_without_touching_the_password(app, database):
    user = services.register_user(database, email="ann@example.com", password=PASSWORD, name="Ann")

    result = run(app, "ann@example.com")

    assert result.exit_code == 0, result.output
    assert "Promoted ann@example.com to admin." in result.output
    database.refresh(user)
    assert user.role == Role.ADMIN and verify_password(user.password_hash, PASSWORD)
    assert "already an admin" in run(app, "ann@example.com").output


def test_a_weak_password_or_bad_email_is_refused(app, database):
    weak = run(app, "root@example.com", "--password", "short")
    bad_email = run(app, "not-an-email", "--password", PASSWORD)

    assert weak.exit_code != 0 and "at least 10 characters" in weak.output
    assert bad_email.exit_code != 0 and "Invalid value for EMAIL" in bad_email.output
    assert database.scalar(sa.select(User)) is None
