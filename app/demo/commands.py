"""CLI: `flask seed-demo` builds a believable demo store and prints how to sign in."""

from __future__ import annotations

import secrets
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from app.accounts.passwords import hash_password
from app.accounts.rules import password_problems
from app.database import db
from app.demo import services
from app.demo.services import SeedSummary


@click.command("seed-demo")
@click.option(
    "--products",
    default=500,
    show_default=True,
    type=click.IntRange(0, 1_000_000),
    help="How many products to create.",
)
@click.option(
    "--customers",
    default=20,
    show_default=True,
    type=click.IntRange(0, 10_000),
    help="How many customer accounts to create.",
)
@click.option("--seed", default=42, show_default=True, help="Random seed: same seed, same store.")
@click.option(
    "--password",
    envvar="DEMO_PASSWORD",
    help="Password of every demo account (default: a new random one, printed).",
)
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has a catalog.")
@click.option(
    "--reset", is_flag=True, help="Delete the catalog, merchants and demo accounts first."
)
@with_appcontext
def seed_demo(
    products: int, customers: int, seed: int, password: str | None, if_empty: bool, reset: bool
) -> None:
    """Build a believable demo store: merchants, categories, products, stock, pictures, accounts."""
    session = db.session
    if not services.is_store_empty(session):
        if if_empty:
            click.echo("Demo data not loaded: the database already has a catalog.")
            return
        if not reset:
            raise click.ClickException(
                "The database already has a catalog. Use --reset to replace it with demo data, "
                "or --if-empty to leave it alone."
            )
        services.reset_store(session)
    if password is not None and (problems := password_problems(password)):
        raise click.BadParameter(" ".join(problems), param_hint="--password")
    password = password or secrets.token_urlsafe(12)
    started = time.perf_counter()
    with click.progressbar(length=products, label="Writing products") as bar:
        summary = services.seed_store(
            session,
            products=products,
            seed=seed,
            password_hash=hash_password(password),
            media_root=current_app.config["MEDIA_ROOT"],
            customers=customers,
            currency=current_app.config["DEFAULT_CURRENCY"],
            progress=bar.update,
        )
    click.echo(describe(summary, password, time.perf_counter() - started))


def describe(summary: SeedSummary, password: str, seconds: float) -> str:
    """The closing report: what was made, and the credentials of every demo account."""
    lines = [
        f"Demo store ready in {seconds:.1f} s: {summary.products} products "
        f"({summary.variants} variants, {summary.images} images) in {summary.categories} "
        f"categories, {len(summary.active_merchants)} active merchants "
        f"(+{len(summary.pending_merchants)} pending).",
        "",
        f"Every demo account signs in with the password: {password}",
        f"  admin     {summary.admin_email}",
    ]
    lines += [f"  merchant  {email}  ({merchant})" for email, merchant in summary.staff]
    lines += [
        f"  applicant {email}  (applied to open {shop}: approve it at /admin/merchants)"
        for email, shop in summary.applications
    ]
    if summary.customer_emails:
        first, last = summary.customer_emails[0], summary.customer_emails[-1]
        lines.append(f"  customer  {first} ... {last}" if first != last else f"  customer  {first}")
    if summary.promo_codes:
        lines.append("Promo codes: " + ", ".join(summary.promo_codes))
    lines.append("Test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined.")
    return "\n".join(lines)
