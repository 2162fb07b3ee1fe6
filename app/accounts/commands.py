"""CLI: `flask create-admin EMAIL`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.accounts import services
from app.accounts.models import Role
from app.accounts.rules import InvalidEmail, normalize_email
from app.database import db


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="Display name of a new admin (default: the email's name).")
@click.option(
    "--password",
    default=None,
    help="Password of a new admin, for scripts; asked for (hidden, twice) when left out.",
)
@with_appcontext
def create_admin(email: str, name: str, password: str | None) -> None:
    """Create an admin account, or make the existing account with this email an admin."""
    try:
        email = normalize_email(email)
    except InvalidEmail as error:
        raise click.BadParameter(str(error), param_hint="EMAIL") from error
    existing = services.find_user(db.session, email)
    if existing is not None:
        if services.promote_to_admin(db.session, existing.id):
            click.echo(f"Promoted {email} to admin.")
        else:
            click.echo(f"{email} is already an admin; nothing changed.")
        return
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        services.register_user(
            db.session,
            email=email,
            password=password,
            name=name or email.split("@")[0],
            role=Role.ADMIN,
        )
    except services.InvalidInput as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created admin {email}.")
