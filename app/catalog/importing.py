"""Catalogue imports: accept a merchant's CSV upload, then apply it row by row in a job.

`start_import` checks the whole file at once (type, encoding, size, columns) and stores it, or
refuses it with nothing stored. `run_import` creates and updates the merchant's products and
variants by SKU, sets stock through the inventory service (a ledger row with reason IMPORT and
the uploader), and records what it did with every line. It works through the file a few hundred
rows at a time, committing each part with the progress made, so a bad row never stops the good
ones and a crashed job resumes after the last committed part. A row that would change nothing
writes nothing: importing the same file twice leaves the second report all "unchanged".

New products and variants go in through the catalog's bulk writer; changed ones with one
set-based UPDATE per table and part. Every query is scoped by the import's merchant: another
merchant's SKU is simply a different SKU.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.catalog import rules
from app.catalog.bulk import RowBatch, allocate_ids, write_batch
from app.catalog.exporting import csv_text
from app.catalog.import_rules import (
    FileRefused,
    RawRow,
    RowRejected,
    VariantRow,
    parse_row,
    product_conflict,
    read_table,
    report_cell,
)
from app.catalog.models import (
    CatalogImport,
    CatalogImportRow,
    Category,
    ImportOutcome,
    ImportStatus,
    Product,
    ProductAttribute,
    ProductStatus,
    ProductVariant,
    VariantOption,
)
from app.database import utcnow
from app.inventory import alerts
from app.inventory import services as inventory
from app.inventory.models import StockItem, StockLedgerEntry, StockReason

log = logging.getLogger("marketplace.imports")

CHUNK_ROWS = 500
QUERY_CHUNK = 1000
NEW_VARIANT_THRESHOLD = StockItem.__table__.c.low_stock_threshold.default.arg
ATTEMPTS_PER_PART = 3
RECENT_IMPORTS = 10


class ImportNotFound(LookupError):
    """No import with that id for this merchant (another merchant's looks the same)."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one line of the file."""

    line: int
    sku: str
    outcome: ImportOutcome
    reason: str = ""


@dataclass
class ProductGroup:
    """The valid rows of one product, in file order; `product_id` when it exists already."""

    key: str
    product_id: int | None
    handle: str
    rows: list[VariantRow] = field(default_factory=list)


@dataclass
class Catalogue:
    """The merchant's current state for one part of the file."""

    products: dict[int, sa.Row]
    variants_by_sku: dict[str, sa.Row]
    variants_by_product: dict[int, list[sa.Row]]
    options: dict[int, tuple[tuple[str, str], ...]]
    attributes: dict[int, tuple[tuple[str, str], ...]]
    stock: dict[int, sa.Row]
    categories: dict[str, sa.Row]
    category_names: dict[int, str]
    taken_slugs: set[str]


def start_import(
    session: Session, merchant_id: int, user_id: int | None, filename: str, content: bytes
) -> CatalogImport:
    """Store an upload to be applied by `run_import`, or raise FileRefused (nothing stored).

    The caller commits, then queues `jobs.imports.run_catalog_import` with the import's id.
    """
    table = read_table(content)
    record = CatalogImport(
        merchant_id=merchant_id,
        user_id=user_id,
        filename=clean_filename(filename),
        content=content,
        status=ImportStatus.QUEUED,
        total_rows=len(table.rows),
    )
    session.add(record)
    session.flush()
    return record


def clean_filename(filename: str) -> str:
    name = "".join(ch for ch in filename.replace("\\", "/").rsplit("/", 1)[-1] if ch.isprintable())
    return name.strip()[:255] or "upload.csv"


def get_import(session: Session, merchant_id: int, import_id: int) -> CatalogImport:
    """The merchant's import, or ImportNotFound."""
    record = session.scalar(
        sa.select(CatalogImport).where(
            CatalogImport.id == import_id, CatalogImport.merchant_id == merchant_id
        )
    )
    if record is None:
        raise ImportNotFound(import_id)
    return record


@dataclass(frozen=True)
class ImportPage:
    """What the import page shows: the merchant's latest imports and the category slugs."""

    recent: list[CatalogImport]
    categories: list[tuple[str, str]]


def import_page(session: Session, merchant_id: int, limit: int = RECENT_IMPORTS) -> ImportPage:
    """The merchant's latest imports (newest first) and every category as (path, slug)."""
    recent = session.scalars(
        sa.select(CatalogImport)
        .where(CatalogImport.merchant_id == merchant_id)
        .order_by(CatalogImport.id.desc())
        .limit(limit)
    )
    rows = session.execute(
        sa.select(Category.id, Category.name, Category.slug, Category.parent_id)
    ).all()
    names = {row.id: row.name for row in rows}
    categories = sorted(
        (f"{names[row.parent_id]} / {row.name}" if row.parent_id else row.name, row.slug)
        for row in rows
    )
    return ImportPage(recent=list(recent), categories=categories)


def report_rows(
    session: Session,
    merchant_id: int,
    import_id: int,
    *,
    outcome: ImportOutcome | None = None,
    limit: int | None = None,
) -> list[CatalogImportRow]:
    """The report lines of the merchant's import in file order (only `outcome` when given)."""
    get_import(session, merchant_id, import_id)
    statement = (
        sa.select(CatalogImportRow)
        .where(CatalogImportRow.import_id == import_id)
        .order_by(CatalogImportRow.line)
        .limit(limit)
    )
    if outcome is not None:
        statement = statement.where(CatalogImportRow.outcome == outcome)
    return list(session.scalars(statement))


def report_csv(session: Session, merchant_id: int, import_id: int) -> Iterator[str]:
    """The merchant's import report as CSV text (line, sku, outcome, reason), produced as it
    is read; raises ImportNotFound at once, before anything is produced."""
    get_import(session, merchant_id, import_id)
    return csv_text(report_lines(session, import_id))


def report_lines(session: Session, import_id: int) -> Iterator[list[str]]:
    """The report's header and lines in file order, fetched a thousand at a time."""
    yield ["line", "sku", "outcome", "reason"]
    last = 0
    while True:
        rows = session.execute(
            sa.select(
                CatalogImportRow.line,
                CatalogImportRow.sku,
                CatalogImportRow.outcome,
                CatalogImportRow.reason,
            )
            .where(CatalogImportRow.import_id == import_id, CatalogImportRow.line > last)
            .order_by(CatalogImportRow.line)
            .limit(QUERY_CHUNK)
        ).all()
        if not rows:
            return
        for line, sku, outcome, reason in rows:
            yield [str(line), report_cell(sku), outcome, report_cell(reason)]
        last = rows[-1].line


def run_import(session: Session, import_id: int, currency: str) -> CatalogImport | None:
    """Apply a queued import (or resume a running one after a crash); a finished one is left
    alone, so a redelivered job changes nothing. New products are priced in `currency`."""
    record = session.get(CatalogImport, import_id)
    if record is None or record.status in (ImportStatus.DONE, ImportStatus.FAILED):
        return record
    if record.status == ImportStatus.QUEUED:
        record.status = ImportStatus.RUNNING
        record.started_at = utcnow()
    session.commit()
    try:
        apply_file(session, record, currency)
    except FileRefused as refused:
        session.rollback()
        finish(session, record, ImportStatus.FAILED, str(refused))
    except Exception:
        log.exception("catalogue import %s failed", import_id)
        session.rollback()
        finish(
            session,
            record,
            ImportStatus.FAILED,
            f"The import stopped after {record.processed_rows:,} rows because of an error on "
            "our side. The rows listed in the report were saved; upload the file again to "
            "import the rest (rows already imported will be left unchanged).",
        )
    else:
        finish(session, record, ImportStatus.DONE)
    return record


def finish(session: Session, record: CatalogImport, status: ImportStatus, error: str = "") -> None:
    record.status = status
    record.error = error
    record.finished_at = utcnow()
    session.commit()


def apply_file(session: Session, record: CatalogImport, currency: str) -> None:
    table = read_table(record.content)
    done_lines = set(
        session.scalars(
            sa.select(CatalogImportRow.line).where(CatalogImportRow.import_id == record.id)
        )
    )
    rows = [row for row in table.rows if row.line not in done_lines]
    valid, rejected = parse_rows(rows, table.columns, currency, session, record)
    groups = group_rows(session, record.merchant_id, valid)
    if rejected:
        save_part(session, record, rejected)
    for part in parts(groups):
        for attempt in range(1, ATTEMPTS_PER_PART + 1):
            try:
                outcomes = apply_part(session, record, part, currency)
                save_part(session, record, outcomes)
                break
            except (IntegrityError, OperationalError):
                session.rollback()
                if attempt == ATTEMPTS_PER_PART:
                    raise
                log.warning("import %s: retrying a part after a conflict", record.id)


def parse_rows(
    rows: list[RawRow],
    columns: frozenset[str],
    currency: str,
    session: Session,
    record: CatalogImport,
) -> tuple[list[VariantRow], list[Outcome]]:
    """The rows that pass the row checks, and a rejection for each of the others (a repeated
    SKU is rejected on every line after its first, including lines already imported)."""
    seen = dict(
        session.execute(
            sa.select(CatalogImportRow.sku, sa.func.min(CatalogImportRow.line))
            .where(CatalogImportRow.import_id == record.id, CatalogImportRow.sku != "")
            .group_by(CatalogImportRow.sku)
        ).all()
    )
    valid, rejected = [], []
    for row in rows:
        try:
            parsed = parse_row(row, columns, currency)
        except RowRejected as reason:
            rejected.append(reject(row.line, row.cells.get("sku", ""), str(reason)))
            continue
        if parsed.sku in seen:
            rejected.append(
                reject(row.line, parsed.sku, f"The SKU is also on line {seen[parsed.sku]}.")
            )
            continue
        seen[parsed.sku] = row.line
        valid.append(parsed)
    return valid, rejected


def reject(line: int, sku: str, reason: str) -> Outcome:
    return Outcome(line, sku.strip()[:64], ImportOutcome.REJECTED, reason)


def group_rows(session: Session, merchant_id: int, rows: list[VariantRow]) -> list[ProductGroup]:
    """The rows by the product they belong to, in file order: a known SKU's own product, else
    the product of its handle (a product of this merchant with that slug, or a known SKU among
    the handle's rows), else a new product per handle."""
    product_of_sku: dict[str, int] = {}
    for skus in batches(sorted({row.sku for row in rows})):
        product_of_sku.update(
            session.execute(
                sa.select(ProductVariant.sku, ProductVariant.product_id).where(
                    ProductVariant.merchant_id == merchant_id, ProductVariant.sku.in_(skus)
                )
            ).all()
        )
    product_of_handle: dict[str, int] = {}
    for handles in batches(sorted({row.handle for row in rows})):
        product_of_handle.update(
            session.execute(
                sa.select(Product.slug, Product.id).where(
                    Product.merchant_id == merchant_id, Product.slug.in_(handles)
                )
            ).all()
        )
    for row in rows:
        if row.sku in product_of_sku:
            product_of_handle.setdefault(row.handle, product_of_sku[row.sku])
    groups: dict[str, ProductGroup] = {}
    for row in rows:
        product_id = product_of_sku.get(row.sku) or product_of_handle.get(row.handle)
        key = f"id:{product_id}" if product_id else f"new:{row.handle}"
        group = groups.setdefault(key, ProductGroup(key, product_id, row.handle))
        group.rows.append(row)
    return list(groups.values())


def parts(groups: list[ProductGroup]) -> Iterator[list[ProductGroup]]:
    """Consecutive groups of about CHUNK_ROWS rows (a product is never split)."""
    part, size = [], 0
    for group in groups:
        part.append(group)
        size += len(group.rows)
        if size >= CHUNK_ROWS:
            yield part
            part, size = [], 0
    if part:
        yield part


def batches(values: list) -> Iterator[list]:
    for start in range(0, len(values), QUERY_CHUNK):
        yield values[start : start + QUERY_CHUNK]


def save_part(session: Session, record: CatalogImport, outcomes: list[Outcome]) -> None:
    """Write a part's report lines and progress, and commit the part."""
    if outcomes:
        session.execute(
            sa.insert(CatalogImportRow),
            [
                {
                    "import_id": record.id,
                    "line": outcome.line,
                    "sku": outcome.sku,
                    "outcome": outcome.outcome.value,
                    "reason": outcome.reason,
                }
                for outcome in outcomes
            ],
        )
    counts = {kind: 0 for kind in ImportOutcome}
    for outcome in outcomes:
        counts[outcome.outcome] += 1
    record.processed_rows += len(outcomes)
    record.created_count += counts[ImportOutcome.CREATED]
    record.updated_count += counts[ImportOutcome.UPDATED]
    record.unchanged_count += counts[ImportOutcome.UNCHANGED]
    record.rejected_count += counts[ImportOutcome.REJECTED]
    session.commit()


def lock_merchant_imports(session: Session, merchant_id: int) -> None:
    """One part of one merchant's imports at a time (PostgreSQL; SQLite has one writer)."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"catalog-import:{merchant_id}".encode())
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def load_catalogue(session: Session, merchant_id: int, groups: list[ProductGroup]) -> Catalogue:
    """Everything a part may change, in a handful of queries, all scoped by the merchant."""
    rows = [row for group in groups for row in group.rows]
    variants_by_sku = {}
    for skus in batches([row.sku for row in rows]):
        for variant in session.execute(
            sa.select(ProductVariant.__table__).where(
                ProductVariant.merchant_id == merchant_id, ProductVariant.sku.in_(skus)
            )
        ):
            variants_by_sku[variant.sku] = variant
    product_ids = {group.product_id for group in groups if group.product_id}
    product_ids |= {variant.product_id for variant in variants_by_sku.values()}
    products, variants_by_product, options, attributes = {}, {}, {}, {}
    for ids in batches(sorted(product_ids)):
        for product in session.execute(
            sa.select(Product.__table__).where(
                Product.merchant_id == merchant_id, Product.id.in_(ids)
            )
        ):
            products[product.id] = product
        for variant in session.execute(
            sa.select(ProductVariant.__table__)
            .where(ProductVariant.merchant_id == merchant_id, ProductVariant.product_id.in_(ids))
            .order_by(ProductVariant.position, ProductVariant.id)
        ):
            variants_by_product.setdefault(variant.product_id, []).append(variant)
        for product_id, name, value in session.execute(
            sa.select(ProductAttribute.product_id, ProductAttribute.name, ProductAttribute.value)
            .where(ProductAttribute.product_id.in_(ids))
            .order_by(ProductAttribute.product_id, ProductAttribute.position, ProductAttribute.id)
        ):
            attributes[product_id] = (*attributes.get(product_id, ()), (name, value))
    variant_ids = sorted(v.id for vs in variants_by_product.values() for v in vs)
    stock = {}
    for ids in batches(variant_ids):
        for variant_id, name, value in session.execute(
            sa.select(VariantOption.variant_id, VariantOption.name, VariantOption.value)
            .where(VariantOption.variant_id.in_(ids))
            .order_by(VariantOption.variant_id, VariantOption.position, VariantOption.id)
        ):
            options[variant_id] = (*options.get(variant_id, ()), (name, value))
        for item in session.execute(
            sa.select(
                StockItem.variant_id,
                StockItem.on_hand,
                StockItem.reserved,
                StockItem.low_stock_threshold,
            ).where(StockItem.variant_id.in_(ids))
        ):
            stock[item.variant_id] = item
    categories = {
        category.slug: category
        for category in session.execute(
            sa.select(Category.id, Category.slug, Category.name, Category.parent_id)
        )
    }
    new_slugs = [group.handle for group in groups if group.product_id is None]
    taken = set()
    for slugs in batches(new_slugs):
        taken.update(session.scalars(sa.select(Product.slug).where(Product.slug.in_(slugs))))
    return Catalogue(
        products=products,
        variants_by_sku=variants_by_sku,
        variants_by_product=variants_by_product,
        options=options,
        attributes=attributes,
        stock=stock,
        categories=categories,
        category_names={category.id: category.name for category in categories.values()},
        taken_slugs=taken,
    )


@dataclass
class PartWrites:
    """What one part writes: bulk rows for new things, UPDATE parameters for changed ones."""

    batch: RowBatch = field(default_factory=RowBatch)
    product_updates: list[dict] = field(default_factory=list)
    variant_updates: list[dict] = field(default_factory=list)
    replaced_options: list[int] = field(default_factory=list)
    new_options: list[tuple[int, tuple[tuple[str, str], ...]]] = field(default_factory=list)
    replaced_attributes: list[int] = field(default_factory=list)
    new_attributes: list[tuple[int, tuple[tuple[str, str], ...]]] = field(default_factory=list)
    stock_changes: list[dict] = field(default_factory=list)
    new_ledger: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class VariantPlan:
    """One valid row's variant as the import wants it, and whether that changes anything."""

    row: VariantRow
    existing: sa.Row | None
    name: str
    options: tuple[tuple[str, str], ...]
    price_amount: int
    compare_at_amount: int | None
    weight_grams: int
    outcome: ImportOutcome
    reason: str = ""


def apply_part(
    session: Session, record: CatalogImport, groups: list[ProductGroup], currency: str
) -> list[Outcome]:
    """Plan and write one part in the session's transaction; the report lines it produced."""
    lock_merchant_imports(session, record.merchant_id)
    catalogue = load_catalogue(session, record.merchant_id, groups)
    for group in groups:
        if group.product_id is None:
            group.product_id = next(
                (
                    catalogue.variants_by_sku[row.sku].product_id
                    for row in group.rows
                    if row.sku in catalogue.variants_by_sku
                ),
                None,
            )
    writes = PartWrites()
    outcomes: list[Outcome] = []
    now = utcnow()
    new_products = [group for group in groups if group.product_id is None]
    product_ids = iter(allocate_ids(session, Product.__table__, len(new_products)))
    new_skus = [
        row.sku
        for group in groups
        for row in group.rows
        if row.sku not in catalogue.variants_by_sku
    ]
    variant_ids = iter(allocate_ids(session, ProductVariant.__table__, len(new_skus)))
    for group in groups:
        product_id = group.product_id or next(product_ids)
        outcomes += plan_group(
            group, product_id, catalogue, record, writes, currency, now, variant_ids
        )
    write_part(session, record, writes, now)
    return sorted(outcomes, key=lambda outcome: outcome.line)


def plan_group(
    group: ProductGroup,
    product_id: int,
    catalogue: Catalogue,
    record: CatalogImport,
    writes: PartWrites,
    currency: str,
    now: datetime,
    new_variant_ids: Iterator[int],
) -> list[Outcome]:
    """Decide what the group's rows change, adding the writes; one report line per row."""
    outcomes: list[Outcome] = []
    current = catalogue.products.get(product_id) if group.product_id else None
    if group.product_id and current is None:
        return [reject(row.line, row.sku, "The product was removed.") for row in group.rows]
    first = group.rows[0].product
    category = catalogue.categories.get(first.category)
    rows: list[VariantRow] = []
    for row in group.rows:
        conflict = product_conflict(first, row.product)
        if category is None:
            outcomes.append(reject(row.line, row.sku, f"There is no category {first.category!r}."))
        elif conflict:
            outcomes.append(
                reject(
                    row.line,
                    row.sku,
                    f"{conflict} differ{'s' if ',' not in conflict else ''} from line "
                    f"{group.rows[0].line}, the product's first row.",
                )
            )
        elif (known := catalogue.variants_by_sku.get(row.sku)) and known.product_id != product_id:
            outcomes.append(reject(row.line, row.sku, "The SKU belongs to another product now."))
        else:
            rows.append(row)
    if not rows:
        return outcomes
    product_currency = current.currency if current else currency
    existing_variants = catalogue.variants_by_product.get(product_id, [])
    plans = [plan_variant(row, catalogue) for row in rows]
    outcomes += [reject(p.row.line, p.row.sku, p.reason) for p in plans if p.reason]
    plans = [p for p in plans if not p.reason]
    room = rules.MAX_VARIANTS - len(existing_variants)
    new_plans = [p for p in plans if p.existing is None]
    for plan in new_plans[max(room, 0) :]:
        plan.reason = f"A product has at most {rules.MAX_VARIANTS} variants."
        outcomes.append(reject(plan.row.line, plan.row.sku, plan.reason))
    plans = [p for p in plans if not p.reason]
    if not plans:
        return outcomes
    planned = {p.existing.id: p for p in plans if p.existing is not None}
    all_prices = [p.price_amount for p in plans if p.existing is None]
    all_options = []
    for variant in existing_variants:
        plan = planned.get(variant.id)
        all_prices.append(plan.price_amount if plan else variant.price_amount)
        all_options += plan.options if plan else catalogue.options.get(variant.id, ())
    all_options += [pair for p in plans if p.existing is None for pair in p.options]
    attributes = (
        first.attributes
        if first.attributes is not None
        else catalogue.attributes.get(product_id, ())
    )
    parent_name = catalogue.category_names.get(category.parent_id) if category.parent_id else None
    path = [parent_name, category.name] if parent_name else [category.name]
    desired = {
        "name": first.name,
        "description": first.description
        if first.description is not None
        else (current.description if current else ""),
        "category_id": category.id,
        "root_category_id": category.parent_id or category.id,
        "status": first.status or (current.status if current else ProductStatus.DRAFT.value),
        "price_amount": rules.lowest_price(all_prices),
        "search_text": rules.search_text(attributes, all_options, path),
    }
    product_changed = False
    if current is None:
        slug = new_slug(group.handle, product_id, catalogue.taken_slugs)
        writes.batch.products.append(
            (
                product_id,
                record.merchant_id,
                desired["category_id"],
                desired["root_category_id"],
                desired["name"],
                slug,
                desired["description"],
                desired["status"],
                False,
                desired["price_amount"],
                product_currency,
                desired["search_text"],
                now,
                now,
            )
        )
        writes.new_attributes.append((product_id, tuple(attributes)))
    else:
        changes = {key: value for key, value in desired.items() if getattr(current, key) != value}
        if changes:
            writes.product_updates.append({"b_id": product_id, **changes, "updated_at": now})
        attributes_changed = tuple(attributes) != catalogue.attributes.get(product_id, ())
        if attributes_changed:
            writes.replaced_attributes.append(product_id)
            writes.new_attributes.append((product_id, tuple(attributes)))
        product_changed = attributes_changed or bool(changes)
    position = max((variant.position for variant in existing_variants), default=-1) + 1
    for plan in plans:
        if plan.existing is None:
            variant_id = next(new_variant_ids)
            plan_new_variant(
                plan,
                (variant_id, product_id, record.merchant_id),
                position,
                product_currency,
                writes,
                now,
            )
            position += 1
        else:
            plan_existing_variant(plan, catalogue, writes, now)
    if product_changed and plans[0].outcome == ImportOutcome.UNCHANGED:
        plans[0].outcome = ImportOutcome.UPDATED
    return outcomes + [Outcome(p.row.line, p.row.sku, p.outcome) for p in plans]


def plan_variant(row: VariantRow, catalogue: Catalogue) -> VariantPlan:
    """The variant the row asks for: its fields with the file's values over the current ones."""
    existing = catalogue.variants_by_sku.get(row.sku)
    if existing is None:
        options = row.options or ()
        return VariantPlan(
            row=row,
            existing=None,
            name=row.name or rules.variant_name(value for _, value in options),
            options=options,
            price_amount=row.price_amount,
            compare_at_amount=row.compare_at_amount,
            weight_grams=row.weight_grams or 0,
            outcome=ImportOutcome.CREATED,
        )
    options = row.options if row.options is not None else catalogue.options.get(existing.id, ())
    current_options = catalogue.options.get(existing.id, ())
    derived = rules.variant_name(value for _, value in current_options)
    if row.name is None and ("variant_name" in row.given or existing.name == derived):
        name = rules.variant_name(value for _, value in options)
    else:
        name = row.name or existing.name
    plan = VariantPlan(
        row=row,
        existing=existing,
        name=name,
        options=options,
        price_amount=row.price_amount,
        compare_at_amount=row.compare_at_amount,
        weight_grams=row.weight_grams if row.weight_grams is not None else existing.weight_grams,
        outcome=ImportOutcome.UNCHANGED,
    )
    stock = catalogue.stock.get(existing.id)
    if row.on_hand is not None and stock is not None and row.on_hand < stock.reserved:
        plan.reason = (
            f"stock_on_hand {row.on_hand} is below the {stock.reserved} units reserved by "
            "unpaid orders."
        )
    return plan


def plan_new_variant(
    plan: VariantPlan,
    ids: tuple[int, int, int],
    position: int,
    currency: str,
    writes: PartWrites,
    now: datetime,
) -> None:
    row = plan.row
    variant_id, product_id, merchant_id = ids
    writes.batch.variants.append(
        (
            variant_id,
            product_id,
            merchant_id,
            row.sku,
            plan.name,
            plan.price_amount,
            plan.compare_at_amount,
            currency,
            plan.weight_grams,
            position,
        )
    )
    writes.new_options.append((variant_id, plan.options))
    on_hand = row.on_hand or 0
    threshold = (
        row.low_stock_threshold if row.low_stock_threshold is not None else NEW_VARIANT_THRESHOLD
    )
    alerted = on_hand <= threshold  # a row created at or below its threshold starts flagged
    writes.batch.stock.append((variant_id, product_id, on_hand, 0, threshold, alerted, now))
    if on_hand:
        writes.new_ledger.append((variant_id, on_hand))


def plan_existing_variant(
    plan: VariantPlan, catalogue: Catalogue, writes: PartWrites, now: datetime
) -> None:
    existing, row = plan.existing, plan.row
    desired = {
        "name": plan.name,
        "price_amount": plan.price_amount,
        "weight_grams": plan.weight_grams,
    }
    if "compare_at_price" in row.given:
        desired["compare_at_amount"] = plan.compare_at_amount
    changes = {key: value for key, value in desired.items() if getattr(existing, key) != value}
    if changes:
        writes.variant_updates.append({"b_id": existing.id, **changes})
    options_changed = plan.options != catalogue.options.get(existing.id, ())
    if options_changed:
        writes.replaced_options.append(existing.id)
        writes.new_options.append((existing.id, plan.options))
    stock = catalogue.stock.get(existing.id)
    on_hand = row.on_hand if row.on_hand is not None else (stock.on_hand if stock else 0)
    threshold = row.low_stock_threshold
    if stock is None:
        stock_changed = row.on_hand is not None or threshold is not None
    else:
        stock_changed = on_hand != stock.on_hand or (
            threshold is not None and threshold != stock.low_stock_threshold
        )
    if stock_changed:
        writes.stock_changes.append(
            {
                "variant_id": existing.id,
                "product_id": existing.product_id,
                "on_hand": on_hand,
                "low_stock_threshold": threshold,
            }
        )
    if changes or options_changed or stock_changed:
        plan.outcome = ImportOutcome.UPDATED


def new_slug(handle: str, product_id: int, taken: set[str]) -> str:
    """The handle itself when no product has it as its slug yet, else the handle and the id."""
    slug = handle if handle not in taken else f"{handle}-{product_id}"
    taken.add(slug)
    return slug


def write_part(session: Session, record: CatalogImport, writes: PartWrites, now: datetime) -> None:
    """Write a planned part: bulk rows for new things, set-based updates for changed ones,
    stock changes through the inventory service."""
    batch = writes.batch
    if writes.replaced_options:
        for ids in batches(writes.replaced_options):
            session.execute(sa.delete(VariantOption).where(VariantOption.variant_id.in_(ids)))
    if writes.replaced_attributes:
        for ids in batches(writes.replaced_attributes):
            session.execute(sa.delete(ProductAttribute).where(ProductAttribute.product_id.in_(ids)))
    option_rows = [
        (variant_id, name, value, position)
        for variant_id, pairs in writes.new_options
        for position, (name, value) in enumerate(pairs)
    ]
    option_ids = allocate_ids(session, VariantOption.__table__, len(option_rows))
    batch.options = [(id_, *row) for id_, row in zip(option_ids, option_rows, strict=True)]
    attribute_rows = [
        (product_id, name, value, position)
        for product_id, pairs in writes.new_attributes
        for position, (name, value) in enumerate(pairs)
    ]
    attribute_ids = allocate_ids(session, ProductAttribute.__table__, len(attribute_rows))
    batch.attributes = [(id_, *row) for id_, row in zip(attribute_ids, attribute_rows, strict=True)]
    ledger_ids = allocate_ids(session, StockLedgerEntry.__table__, len(writes.new_ledger))
    reference = import_reference(record.id)
    batch.ledger = [
        (id_, variant_id, on_hand, 0, StockReason.IMPORT.value, reference, record.user_id, now)
        for id_, (variant_id, on_hand) in zip(ledger_ids, writes.new_ledger, strict=True)
    ]
    write_batch(session, batch)
    update_by_id(session, Product.__table__, writes.product_updates)
    update_by_id(session, ProductVariant.__table__, writes.variant_updates)
    set_stock_levels(session, writes.stock_changes, reference, record.user_id, now)
    session.flush()


def set_stock_levels(
    session: Session, changes: list[dict], reference: str, actor_id: int | None, now: datetime
) -> None:
    """Set on hand (and the threshold when given) of many variants, as `inventory.set_stock`
    does for one: rows locked in variant order, every row's version bumped, the low-stock flag
    cleared above the threshold and an alert claimed at or below it (`inventory.alerts`), a
    ledger row with reason IMPORT and the actor for every change. One statement per step
    instead of three per variant; a variant without a stock row goes through `set_stock`."""
    if not changes:
        return
    wanted = {change["variant_id"]: change for change in changes}
    locked = {
        row.variant_id: row
        for row in session.execute(
            sa.select(StockItem.variant_id, StockItem.on_hand, StockItem.low_stock_threshold)
            .where(StockItem.variant_id.in_(sorted(wanted)))
            .order_by(StockItem.variant_id)
            .with_for_update()
        )
    }
    for variant_id in sorted(wanted.keys() - locked.keys()):
        change = wanted[variant_id]
        inventory.set_stock(
            session,
            variant_id=variant_id,
            product_id=change["product_id"],
            on_hand=change["on_hand"],
            low_stock_threshold=change["low_stock_threshold"],
            reason=StockReason.IMPORT,
            reference=reference,
            actor_id=actor_id,
        )
    if not locked:
        return
    rows = [
        {
            "variant_id": variant_id,
            "on_hand": wanted[variant_id]["on_hand"],
            "threshold": wanted[variant_id]["low_stock_threshold"]
            if wanted[variant_id]["low_stock_threshold"] is not None
            else row.low_stock_threshold,
        }
        for variant_id, row in sorted(locked.items())
    ]
    levels = write_stock_figures(session, rows, now)
    ledger = [
        {
            "variant_id": variant_id,
            "on_hand_delta": wanted[variant_id]["on_hand"] - row.on_hand,
            "reserved_delta": 0,
            "reason": StockReason.IMPORT.value,
            "reference": reference,
            "note": "",
            "actor_id": actor_id,
            "created_at": now,
        }
        for variant_id, row in sorted(locked.items())
    ]
    session.execute(sa.insert(StockLedgerEntry), ledger)
    alerts.note_levels(session, [alerts.level(row) for row in levels])


def write_stock_figures(session: Session, rows: list[dict], now: datetime) -> list[sa.Row]:
    """UPDATE the stock rows to the given figures (one statement joining a VALUES list on
    PostgreSQL, one per row on SQLite, which has no column aliases for VALUES); the rows'
    levels afterwards (`alerts.LEVEL_COLUMNS`)."""

    def update(source) -> sa.Update:
        return (
            sa.update(StockItem)
            .values(
                on_hand=source.on_hand,
                low_stock_threshold=source.threshold,
                version=StockItem.version + 1,
                low_stock_alerted=alerts.clear_when_above(
                    source.on_hand, StockItem.reserved, source.threshold
                ),
                updated_at=now,
            )
            .returning(*alerts.LEVEL_COLUMNS)
            .execution_options(synchronize_session=False)
        )

    if session.get_bind().dialect.name == "postgresql":
        figures = sa.values(
            sa.column("variant_id", sa.Integer),
            sa.column("on_hand", sa.Integer),
            sa.column("threshold", sa.Integer),
            name="figures",
        ).data([(row["variant_id"], row["on_hand"], row["threshold"]) for row in rows])
        statement = update(figures.c).where(StockItem.variant_id == figures.c.variant_id)
        return session.execute(statement).all()
    parameters = SimpleNamespace(
        on_hand=sa.bindparam("b_on_hand", type_=sa.Integer),
        threshold=sa.bindparam("b_threshold", type_=sa.Integer),
    )
    statement = update(parameters).where(StockItem.variant_id == sa.bindparam("b_variant_id"))
    return [
        session.execute(statement, {f"b_{key}": value for key, value in row.items()}).one()
        for row in rows
    ]


def update_by_id(session: Session, table: sa.Table, updates: list[dict]) -> None:
    """One executemany UPDATE per set of changed columns (rows keyed by `b_id`)."""
    by_columns: dict[tuple[str, ...], list[dict]] = {}
    for update in updates:
        columns = tuple(sorted(key for key in update if key != "b_id"))
        by_columns.setdefault(columns, []).append(update)
    for columns, rows in by_columns.items():
        statement = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("b_id"))
            .values({column: sa.bindparam(column) for column in columns})
        )
        session.connection().execute(statement, rows)


def import_reference(import_id: int) -> str:
    """The stock ledger reference of an import's changes."""
    return f"import:{import_id}"
