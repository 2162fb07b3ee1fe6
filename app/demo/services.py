"""Seed a believable demo store: merchants, categories, accounts, products with stock and pictures.

Merchants, categories and accounts (a few dozen rows) go through the ORM and the real services.
Products and everything under them go in with bulk Core inserts, with explicit ids continuing from
the tables' maximum (PostgreSQL sequences are moved past them afterwards); derived fields follow
the catalog's own rules.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.accounts.models import Role, User
from app.catalog import authoring, rules
from app.catalog.bulk import (
    NextIds,
    RowBatch,
    chunked,
    first_free_ids,
    move_sequences_past_ids,
    prepared_ahead,
    write_batch,
)
from app.catalog.models import (
    Category,
    Product,
    ProductAttribute,
    ProductImage,
    ProductStatus,
    ProductVariant,
    VariantOption,
)
from app.checkout.models import DiscountKind, Promotion, PromotionRedemption
from app.database import utcnow
from app.demo import images
from app.demo.generator import LOW_STOCK_THRESHOLD, ProductDraft, draft_products
from app.demo.wordlists import DEPARTMENTS, FIRST_NAMES, LAST_NAMES, MERCHANTS
from app.inventory.models import StockItem, StockLedgerEntry, StockReason, StockReservation
from app.media.services import StoredImage
from app.merchants.models import Merchant, MerchantApplication, MerchantMembership, StaffInvite
from app.merchants.services import create_merchant
from app.orders.models import Fulfilment, Order, OrderEvent, OrderLine
from app.payments.models import Payment, Refund, WebhookEvent
from app.platform.models import OutboxEvent, ProcessedEvent
from app.search.services import refresh_vocabulary

DEMO_DOMAIN = "example.com"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
CHUNK_SIZE = 2000
LEDGER_REFERENCE = "seed-demo"
ACCOUNT_AGE_DAYS = 200
MERCHANT_AGE_DAYS = 150
RESET_ORDER = (
    Refund.__table__,
    Payment.__table__,
    WebhookEvent.__table__,
    OrderEvent.__table__,
    OrderLine.__table__,
    Fulfilment.__table__,
    Order.__table__,
    StockReservation.__table__,
    ProcessedEvent.__table__,
    OutboxEvent.__table__,
    PromotionRedemption.__table__,
    Promotion.__table__,
    StockLedgerEntry.__table__,
    StockItem.__table__,
    ProductImage.__table__,
    VariantOption.__table__,
    ProductAttribute.__table__,
    ProductVariant.__table__,
    Product.__table__,
    StaffInvite.__table__,
    MerchantApplication.__table__,
    MerchantMembership.__table__,
    Merchant.__table__,
)


PENDING_APPLICATION = (
    "Saltmarsh Candle Co.",
    "Hand-poured soy candles and wax melts, scented with coastal botanicals.",
)


class StoreNotEmpty(RuntimeError):
    """The database already holds a catalog (or demo accounts); seeding would mix with it."""


@dataclass
class SeedSummary:
    """What was created, and who can sign in (all demo accounts share one password)."""

    products: int = 0
    variants: int = 0
    images: int = 0
    categories: int = 0
    active_merchants: list[str] = field(default_factory=list)
    pending_merchants: list[str] = field(default_factory=list)
    admin_email: str = ADMIN_EMAIL
    staff: list[tuple[str, str]] = field(default_factory=list)
    applications: list[tuple[str, str]] = field(default_factory=list)
    customer_emails: list[str] = field(default_factory=list)
    promo_codes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CatalogPlan:
    """The ids bulk rows point at: each category's id and the merchants selling in a department."""

    category_ids: dict[str, int]
    root_category_ids: dict[str, int]
    merchants_by_department: dict[str, list[int]]
    pool: dict[str, list[StoredImage]]
    currency: str
    now: datetime


def demo_email(prefix: str, number: int | None = None) -> str:
    """A demo account's address, e.g. customer3@example.com."""
    return f"{prefix}{'' if number is None else number}@{DEMO_DOMAIN}"


def is_store_empty(session: Session) -> bool:
    """No products, merchants, categories or demo accounts yet."""
    for model in (Product, Merchant, Category):
        if session.scalar(sa.select(sa.exists().select_from(model))):
            return False
    demo_users = sa.select(User.id).where(User.email.like(f"%@{DEMO_DOMAIN}"))
    return not session.scalar(sa.select(demo_users.exists()))


def reset_store(session: Session) -> None:
    """Delete the catalog, stock, merchants and demo accounts (the caller commits)."""
    for table in RESET_ORDER:
        session.execute(sa.delete(table))
    session.execute(sa.update(Category).values(parent_id=None))
    session.execute(sa.delete(Category))
    session.execute(sa.delete(User).where(User.email.like(f"%@{DEMO_DOMAIN}")))


def seed_store(
    session: Session,
    *,
    products: int,
    seed: int,
    password_hash: str,
    media_root: str | os.PathLike,
    customers: int = 20,
    currency: str = "USD",
    progress: Callable[[int], None] = lambda done: None,
) -> SeedSummary:
    """Build the demo store in one transaction and commit it; raises StoreNotEmpty if not empty.

    `password_hash` is used for every demo account (hash once: argon2 is slow on purpose);
    `progress` is called with the number of products written after each chunk.
    """
    if not is_store_empty(session):
        raise StoreNotEmpty("The database already has a catalog.")
    rng = random.Random(seed)
    now = utcnow()
    summary = SeedSummary()
    pool = images.build_pool(media_root)
    merchants = create_merchants(session, now, summary)
    category_ids, root_category_ids = create_categories(session)
    summary.categories = len(category_ids) + len(DEPARTMENTS)
    create_accounts(session, rng, merchants, password_hash, customers, now, summary)
    create_promotions(session, now, summary)
    merchants_by_department: dict[str, list[int]] = {}
    for profile, merchant in zip(MERCHANTS, merchants, strict=True):
        if profile.active:
            for department in profile.departments:
                merchants_by_department.setdefault(department, []).append(merchant.id)
    plan = CatalogPlan(
        category_ids, root_category_ids, merchants_by_department, pool, currency, now
    )
    next_ids = first_free_ids(session)
    batches = (
        build_rows(rng, drafts, plan, next_ids)
        for drafts in chunked(draft_products(rng, products), CHUNK_SIZE)
    )
    for batch in prepared_ahead(batches):
        write_batch(session, batch)
        summary.products += len(batch.products)
        summary.variants += len(batch.variants)
        summary.images += len(batch.images)
        progress(len(batch.products))
    move_sequences_past_ids(session)
    refresh_vocabulary(session)
    session.commit()
    analyze(session)
    return summary


def create_promotions(session: Session, now: datetime, summary: SeedSummary) -> None:
    """Two promo codes to try at checkout: 10 % off from $50, and $5 off for the first 100."""
    session.add_all(
        [
            Promotion(code="SAVE10", kind=DiscountKind.PERCENT, value=1000, minimum_spend=5000),
            Promotion(
                code="WELCOME5",
                kind=DiscountKind.FIXED,
                value=500,
                usage_limit=100,
                expires_at=now + timedelta(days=90),
            ),
        ]
    )
    summary.promo_codes = ["SAVE10 (10% off orders from $50)", "WELCOME5 ($5 off, first 100)"]


def create_merchants(session: Session, now: datetime, summary: SeedSummary) -> list[Merchant]:
    """The demo shops, through the merchant service (active ones approved), opened months ago."""
    merchants = []
    for number, profile in enumerate(MERCHANTS, start=1):
        merchant = create_merchant(
            session,
            profile.name,
            contact_email=demo_email("shop", number),
            description=profile.description,
            approved=profile.active,
        )
        merchant.created_at = now - timedelta(days=MERCHANT_AGE_DAYS)
        if merchant.approved_at is not None:
            merchant.approved_at = merchant.created_at + timedelta(days=2)
        merchants.append(merchant)
        (summary.active_merchants if profile.active else summary.pending_merchants).append(
            profile.name
        )
    return merchants


def create_categories(session: Session) -> tuple[dict[str, int], dict[str, int]]:
    """The two-level tree, through the catalog service.

    Returns each child category's id by its name, and each department's (top-level) id by its name.
    """
    category_ids = {}
    root_category_ids = {}
    for position, department in enumerate(DEPARTMENTS):
        parent = authoring.create_category(
            session, department.name, description=department.description
        )
        parent.position = position
        root_category_ids[department.name] = parent.id
        for child_position, leaf in enumerate(department.leaves):
            child = authoring.create_category(
                session, leaf.name, parent, description=f"{leaf.name} in {department.name}."
            )
            child.position = child_position
            category_ids[leaf.name] = child.id
    session.flush()
    return category_ids, root_category_ids


def create_accounts(
    session: Session,
    rng: random.Random,
    merchants: list[Merchant],
    password_hash: str,
    customers: int,
    now: datetime,
    summary: SeedSummary,
) -> None:
    """An admin, one owner per merchant and `customers` shoppers, all with the same password;
    the first shopper has applied to open a shop (waiting for the admin's decision)."""

    def person(email: str, role: Role) -> User:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        joined = now - timedelta(seconds=rng.randrange(ACCOUNT_AGE_DAYS * 24 * 3600))
        user = User(
            email=email, name=name, password_hash=password_hash, role=role, created_at=joined
        )
        session.add(user)
        return user

    person(ADMIN_EMAIL, Role.ADMIN)
    for number, merchant in enumerate(merchants, start=1):
        email = demo_email("staff", number)
        staff = person(email, Role.MERCHANT)
        session.flush()
        session.add(MerchantMembership(user_id=staff.id, merchant_id=merchant.id, is_owner=True))
        summary.staff.append((email, merchant.name))
    shoppers = [
        person(demo_email("customer", number), Role.CUSTOMER) for number in range(1, customers + 1)
    ]
    summary.customer_emails += [shopper.email for shopper in shoppers]
    session.flush()
    if shoppers:
        applicant = shoppers[0]
        session.add(
            MerchantApplication(
                applicant_id=applicant.id,
                shop_name=PENDING_APPLICATION[0],
                contact_name=applicant.name,
                contact_email=applicant.email,
                description=PENDING_APPLICATION[1],
                created_at=now - timedelta(days=1),
            )
        )
        summary.applications.append((applicant.email, PENDING_APPLICATION[0]))
        session.flush()


def build_rows(
    rng: random.Random, drafts: list[ProductDraft], plan: CatalogPlan, next_ids: NextIds
) -> RowBatch:
    """Rows for a chunk of drafts, with ids taken from (and advancing) `next_ids`."""
    batch = RowBatch()
    status = ProductStatus.PUBLISHED.value
    reason = StockReason.IMPORT.value
    currency = plan.currency
    for draft in drafts:
        product_id = next_ids.product
        next_ids.product += 1
        created_at = plan.now - timedelta(seconds=draft.age_seconds)
        option_pairs = [pair for variant in draft.variants for pair in variant.options]
        merchant_id = rng.choice(plan.merchants_by_department[draft.department.name])
        batch.products.append(
            (
                product_id,
                merchant_id,
                plan.category_ids[draft.leaf.name],
                plan.root_category_ids[draft.department.name],
                draft.name,
                f"{rules.slugify(draft.name)}-{product_id}",
                draft.description,
                status,
                draft.featured,
                rules.lowest_price(variant.price_amount for variant in draft.variants),
                currency,
                rules.search_text(
                    draft.attributes, option_pairs, (draft.department.name, draft.leaf.name)
                ),
                created_at,
                created_at,
            )
        )
        for position, (name, value) in enumerate(draft.attributes):
            batch.attributes.append((next_ids.attribute, product_id, name, value, position))
            next_ids.attribute += 1
        for position, variant in enumerate(draft.variants):
            variant_id = next_ids.variant
            next_ids.variant += 1
            sku = f"{draft.leaf.initials}-{product_id:07d}-{position + 1}"
            batch.variants.append(
                (
                    variant_id,
                    product_id,
                    merchant_id,
                    sku,
                    variant.name,
                    variant.price_amount,
                    None,
                    currency,
                    variant.weight_grams,
                    position,
                )
            )
            for option_position, (name, value) in enumerate(variant.options):
                batch.options.append((next_ids.option, variant_id, name, value, option_position))
                next_ids.option += 1
            batch.stock.append(
                (
                    variant_id,
                    product_id,
                    variant.on_hand,
                    0,
                    LOW_STOCK_THRESHOLD,
                    variant.on_hand <= LOW_STOCK_THRESHOLD,
                    created_at,
                )
            )
            batch.ledger.append(
                (
                    next_ids.ledger,
                    variant_id,
                    variant.on_hand,
                    0,
                    reason,
                    LEDGER_REFERENCE,
                    None,
                    created_at,
                )
            )
            next_ids.ledger += 1
        pictures = plan.pool[draft.leaf.name]
        for position, slot in enumerate(draft.image_slots):
            picture = pictures[slot]
            batch.images.append(
                (
                    next_ids.image,
                    product_id,
                    None,
                    picture.storage_key,
                    f"{draft.name} — view {position + 1}",
                    picture.width,
                    picture.height,
                    position,
                    created_at,
                )
            )
            next_ids.image += 1
    return batch


def analyze(session: Session) -> None:
    """Refresh PostgreSQL's planner statistics for the tables just filled."""
    if session.get_bind().dialect.name != "postgresql":
        return
    tables = ", ".join([*(table.name for table in RESET_ORDER), Category.__tablename__])
    session.execute(sa.text(f"ANALYZE {tables}"))
    session.commit()
