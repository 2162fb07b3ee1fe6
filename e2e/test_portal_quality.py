"""Every merchant portal page (and the onboarding and admin pages around it): zero axe-core
violations, and no console errors or CSP violations under the app's real policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from app.accounts.models import Role
from app.catalog import importing
from app.catalog.models import Category, ProductImage
from app.database import db
from app.media.services import store_image
from app.merchants import onboarding, staff
from app.merchants.models import Merchant, MerchantMembership
from e2e.checks import ConsoleErrors, axe_violations, describe_violations, wait_until_settled
from e2e.portal import CSV_HEADER, sign_in
from e2e.store import Store, picture
from tests.support.factories import make_merchant, make_product
from tests.support.portal import make_user

pytestmark = pytest.mark.e2e

SKU = "AXE-LAMP-SAND"
CHART_DRAWN = """() => {
  const canvas = document.querySelector("canvas[data-sales-chart]");
  return Boolean(canvas && window.Chart && window.Chart.getChart(canvas));
}"""


@dataclass(frozen=True)
class Audited:
    """What the audited pages show: a shop with a product, picture, stock, an import and staff."""

    emails: dict[str, str]
    product_id: int
    variant_id: int
    import_id: int
    waiting_import_id: int


@pytest.fixture(scope="module")
def audited(live_app: Flask, store: Store) -> Audited:
    with live_app.app_context():
        merchant = make_merchant("Audit Lamps & Light")
        owner = make_user(db.session, Role.MERCHANT, email="audit-owner@example.com")
        colleague = make_user(db.session, Role.MERCHANT, email="audit-colleague@example.com")
        db.session.add_all(
            [
                MerchantMembership(user_id=owner.id, merchant_id=merchant.id, is_owner=True),
                MerchantMembership(user_id=colleague.id, merchant_id=merchant.id, is_owner=False),
            ]
        )
        db.session.commit()
        category = db.session.scalar(sa.select(Category).where(Category.name == "Lamps"))
        lamp = make_product(
            merchant=merchant,
            category=category,
            name="Audit Ceramic Lamp",
            prices=(6900, 7900),
            stock=(4, 1),
            options=({"Colour": "Sand"}, {"Colour": "Forest"}),
            attributes={"Material": "Ceramic"},
            published=False,
        )
        lamp.variants[0].sku = SKU
        stored = store_image(picture("sage"), media_root=live_app.config["MEDIA_ROOT"])
        db.session.add(
            ProductImage(
                product_id=lamp.id,
                storage_key=stored.storage_key,
                width=stored.width,
                height=stored.height,
                alt_text="Audit Ceramic Lamp with a linen shade",
                position=0,
            )
        )
        db.session.commit()
        rows = [
            ",".join(CSV_HEADER),
            f"AXE-SHADE-1,audit-shade,Audit Shade,{category.slug},19.00,5",
            f"AXE-SHADE-2,audit-shade,Audit Shade,{category.slug},not a price,5",
        ]
        record = importing.start_import(
            db.session, merchant.id, owner.id, "audit.csv", "\n".join(rows).encode()
        )
        db.session.commit()
        importing.run_import(db.session, record.id, currency=live_app.config["DEFAULT_CURRENCY"])
        waiting = importing.start_import(
            db.session, merchant.id, owner.id, "waiting.csv", "\n".join(rows[:2]).encode()
        )
        db.session.commit()
        staff.invite_staff(
            db.session,
            db.session.get(Merchant, merchant.id),
            "audit-invitee@example.com",
            owner.id,
        )
        db.session.commit()
        admin = make_user(db.session, Role.ADMIN, email="audit-admin@example.com")
        shopper = make_user(db.session, email="audit-shopper@example.com")
        applicant = make_user(db.session, email="audit-applicant@example.com")
        onboarding.apply(
            db.session,
            applicant.id,
            onboarding.ApplicationFields(
                shop_name="Audit Kites",
                contact_name="Ada Audit",
                contact_email=applicant.email,
                description="Hand-sewn kites.",
            ),
        )
        return Audited(
            emails={
                "owner": owner.email,
                "admin": admin.email,
                "shopper": shopper.email,
                "applicant": applicant.email,
            },
            product_id=lamp.id,
            variant_id=lamp.variants[0].id,
            import_id=record.id,
            waiting_import_id=waiting.id,
        )


def open_at(path: Callable[[Audited], str], shows: Callable[[Page], Locator]):
    """Go to the page and wait for what makes it the page meant (its heading, a row...)."""

    def visit(page: Page, audited: Audited) -> None:
        page.goto(path(audited))
        expect(shows(page)).to_be_visible()

    return visit


def heading(text: str) -> Callable[[Page], Locator]:
    return lambda page: page.get_by_role("heading", level=1, name=text)


def dashboard(page: Page, audited: Audited) -> None:
    page.goto("/portal/")
    page.wait_for_function(CHART_DRAWN)


def inventory_row_editing(page: Page, audited: Audited) -> None:
    page.goto("/portal/inventory")
    page.get_by_role("link", name=f"Edit stock of {SKU}").click()
    expect(page.get_by_label(f"On hand of {SKU}")).to_be_visible()


def product_refused(page: Page, audited: Audited) -> None:
    page.goto("/portal/products/new")
    page.get_by_label("Price of variant 1", exact=True).fill("lots")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_role("alert").filter(has_text="The product was not saved")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")


def import_refused(page: Page, audited: Audited) -> None:
    page.goto("/portal/imports")
    page.get_by_label("CSV file", exact=True).set_input_files(
        {"name": "notes.csv", "mimeType": "text/csv", "buffer": b"just,some,words\n1,2,3\n"}
    )
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_label("CSV file", exact=True)).to_have_attribute("aria-invalid", "true")


def staff_refused(page: Page, audited: Audited) -> None:
    page.goto("/portal/staff")
    page.get_by_label("Email address").fill("audit-colleague@example.com")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")


# name: (who visits, how)
VISITS: dict[str, tuple[str, Callable[[Page, Audited], None]]] = {
    "dashboard": ("owner", dashboard),
    "products": ("owner", open_at(lambda a: "/portal/products", heading("Products"))),
    "new product": ("owner", open_at(lambda a: "/portal/products/new", heading("New product"))),
    "edit product": (
        "owner",
        open_at(lambda a: f"/portal/products/{a.product_id}", heading("Edit Audit Ceramic Lamp")),
    ),
    "images": (
        "owner",
        open_at(
            lambda a: f"/portal/products/{a.product_id}/images",
            heading("Images of Audit Ceramic Lamp"),
        ),
    ),
    "inventory": ("owner", open_at(lambda a: "/portal/inventory", heading("Inventory"))),
    "inventory row being edited": ("owner", inventory_row_editing),
    "inventory row page": (
        "owner",
        open_at(
            lambda a: f"/portal/inventory/{a.variant_id}",
            heading("Stock of Audit Ceramic Lamp (Sand)"),
        ),
    ),
    "ledger": (
        "owner",
        open_at(
            lambda a: f"/portal/inventory/{a.variant_id}/ledger",
            heading(f"Ledger of Audit Ceramic Lamp (Sand), SKU {SKU}"),
        ),
    ),
    "new product, refused": ("owner", product_refused),
    "imports": ("owner", open_at(lambda a: "/portal/imports", heading("Import and export"))),
    "imports, file refused": ("owner", import_refused),
    "import detail": (
        "owner",
        open_at(
            lambda a: f"/portal/imports/{a.import_id}",
            lambda page: page.get_by_role("table", name="Rejected rows"),
        ),
    ),
    "import detail, waiting to run": (
        "owner",
        open_at(
            lambda a: f"/portal/imports/{a.waiting_import_id}",
            lambda page: page.get_by_text("(waiting to start)"),
        ),
    ),
    "staff": (
        "owner",
        open_at(
            lambda a: "/portal/staff",
            lambda page: page.get_by_text("audit-invitee@example.com").first,
        ),
    ),
    "staff, invitation refused": ("owner", staff_refused),
    "sell, application form": (
        "shopper",
        open_at(lambda a: "/sell", lambda page: page.get_by_label("Shop name")),
    ),
    "sell, application waiting": (
        "applicant",
        open_at(lambda a: "/sell", lambda page: page.get_by_text("Waiting for a decision")),
    ),
    "admin merchants": (
        "admin",
        open_at(
            lambda a: "/admin/merchants",
            lambda page: page.get_by_role("rowheader", name="Audit Kites"),
        ),
    ),
}


@pytest.fixture(scope="module")
def audit_pages(open_context, audited: Audited) -> Callable[[str], Page]:
    """One signed-in page per person, CSP bypassed so the axe-core script can be injected."""
    pages: dict[str, Page] = {}

    def page_of(who: str) -> Page:
        if who not in pages:
            pages[who] = open_context(bypass_csp=True)
            sign_in(pages[who], audited.emails[who])
        return pages[who]

    return page_of


@pytest.fixture(scope="module")
def watched_pages(open_context, audited: Audited) -> Callable[[str], tuple[Page, ConsoleErrors]]:
    """One signed-in page per person, under the app's real CSP, whose console errors are kept."""
    pages: dict[str, tuple[Page, ConsoleErrors]] = {}

    def page_of(who: str) -> tuple[Page, ConsoleErrors]:
        if who not in pages:
            page = open_context()
            pages[who] = (page, ConsoleErrors(page))
            sign_in(page, audited.emails[who])
        return pages[who]

    return page_of


@pytest.mark.parametrize("name", VISITS)
def test_portal_page_has_no_accessibility_violations(audit_pages, audited: Audited, name: str):
    who, visit = VISITS[name]
    page = audit_pages(who)
    visit(page, audited)
    wait_until_settled(page)

    violations = axe_violations(page)

    assert violations == [], (
        f"axe-core found {len(violations)} violation(s) on {name} ({page.url}):\n"
        + describe_violations(violations)
    )


@pytest.mark.parametrize("name", VISITS)
def test_portal_page_has_no_console_errors(watched_pages, audited: Audited, name: str):
    who, visit = VISITS[name]
    page, console = watched_pages(who)
    console.take()

    visit(page, audited)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    wait_until_settled(page)

    errors = [error for error in console.take() if not is_the_refusal_itself(error, page.url)]
    assert errors == [], f"console errors on {name} ({page.url}):\n" + "\n".join(errors)


def is_the_refusal_itself(error: str, url: str) -> bool:
    """Chromium reports a refused form's 422 answer (the page itself) as a console error."""
    return "status of 422" in error and url in error
