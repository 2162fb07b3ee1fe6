"""Catalog authoring: what creates and changes products and categories (the merchant portal,
catalogue imports, the demo seeder).

The merchant-facing functions take the merchant explicitly and find a product only among that
merchant's: another merchant's product is `ProductNotFound`, exactly like one that does not
exist. They check everything first (`rules.check_product`, then what needs the database: the
category, SKUs unique per merchant, variants with orders) and raise `InvalidProduct` listing
every problem by form field before writing anything; they flush, never commit (the request or
job that calls them commits). A product's derived columns (`price_amount`, the lowest variant
price, and `search_text`) are recomputed on every change, and its slug stays as first made so
links keep working after a rename.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.catalog import rules
from app.catalog.listings import ProductNotFound
from app.catalog.models import (
    Category,
    Product,
    ProductAttribute,
    ProductStatus,
    ProductVariant,
    VariantOption,
)
from app.catalog.rules import InvalidProduct, ProductDraft, ProductValues, VariantDraft
from app.catalog.tree import CategoryNotFound, category_path
from app.database import utcnow
from app.inventory import services as inventory
from app.inventory.models import StockReservation
from app.inventory.rules import StockState
from app.money import Money
from app.platform.pagination import Page

PER_PAGE = 25
SEARCH_MAX = 200
STATUS_FILTERS = {
    "": "Draft and published",
    ProductStatus.DRAFT.value: "Draft",
    ProductStatus.PUBLISHED.value: "Published",
    ProductStatus.ARCHIVED.value: "Archived",
}
STOCK_FILTERS = {"": "Any stock", "in_stock": "In stock", "low": "Low stock", "out": "Out of stock"}
SKU_RACE = (
    "Another product of yours took one of these SKUs a moment ago (or two variants swapped "
    "SKUs): check the SKUs and save again."
)
GONE_VARIANT = "A variant on this page has been removed in the meantime: reload the page."


@dataclass(frozen=True)
class VariantSpec:
    """What it takes to create a variant."""

    sku: str
    price_amount: int
    options: dict[str, str] = field(default_factory=dict)
    name: str = ""
    weight_grams: int = 0
    compare_at_amount: int | None = None


def create_category(
    session: Session, name: str, parent: Category | None = None, description: str = ""
) -> Category:
    """Add a category (a child of `parent` when given) with a unique slug."""
    category = Category(
        name=name,
        slug=unique_slug(session, Category, name),
        parent=parent,
        description=description,
    )
    session.add(category)
    session.flush()
    return category


def create_product(
    session: Session,
    *,
    merchant_id: int,
    category_id: int,
    name: str,
    description: str,
    variants: list[VariantSpec],
    attributes: dict[str, str] | None = None,
    published: bool = True,
    featured: bool = False,
    currency: str = "USD",
) -> Product:
    """Create a product with its variants and attributes; price and search text are derived."""
    if not variants:
        raise ValueError("a product needs at least one variant")
    category = session.get(Category, category_id)
    if category is None:
        raise CategoryNotFound(str(category_id))
    attribute_pairs = list((attributes or {}).items())
    option_pairs = [pair for spec in variants for pair in spec.options.items()]
    product = Product(
        merchant_id=merchant_id,
        category_id=category_id,
        root_category_id=category.parent_id or category.id,
        name=name,
        slug=unique_slug(session, Product, name),
        description=description,
        status=ProductStatus.PUBLISHED if published else ProductStatus.DRAFT,
        is_featured=featured,
        currency=currency,
        price_amount=rules.lowest_price(spec.price_amount for spec in variants),
        search_text=rules.search_text(
            attribute_pairs, option_pairs, category_path(session, category)
        ),
    )
    product.attributes = [
        ProductAttribute(name=key, value=value, position=index)
        for index, (key, value) in enumerate(attribute_pairs)
    ]
    product.variants = [
        build_variant(spec, index, currency, merchant_id) for index, spec in enumerate(variants)
    ]
    session.add(product)
    session.flush()
    return product


def build_variant(
    spec: VariantSpec, position: int, currency: str, merchant_id: int
) -> ProductVariant:
    """A variant row (not yet added) from its spec."""
    return ProductVariant(
        merchant_id=merchant_id,
        sku=spec.sku,
        name=spec.name or rules.variant_name(spec.options.values()),
        price_amount=spec.price_amount,
        compare_at_amount=spec.compare_at_amount,
        currency=currency,
        weight_grams=spec.weight_grams,
        position=position,
        options=[
            VariantOption(name=key, value=value, position=index)
            for index, (key, value) in enumerate(spec.options.items())
        ],
    )


def unique_slug(session: Session, model: type, text: str) -> str:
    """A slug for `text` not yet used by `model`, suffixed -2, -3... when needed."""
    base = rules.slugify(text)
    taken = set(
        session.scalars(
            sa.select(model.slug).where(sa.or_(model.slug == base, model.slug.like(f"{base}-%")))
        )
    )
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


class ProductRow(NamedTuple):
    """A product as the merchant's list shows it."""

    id: int
    name: str
    slug: str
    status: str
    category_name: str
    price: Money
    has_price_range: bool
    variant_count: int
    stock: StockState
    updated_at: datetime


@dataclass(frozen=True)
class ProductEditor:
    """What the edit page shows: the product, the form's values and the variants that have
    orders (they cannot be removed)."""

    product: Product
    draft: ProductDraft
    ordered_variant_ids: frozenset[int]


def merchant_products(
    session: Session,
    merchant_id: int,
    *,
    search: str = "",
    status: str = "",
    category_id: int | None = None,
    stock_state: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[ProductRow]:
    """A page of the merchant's products, newest first, in one statement however many products
    the merchant has (the page carries the count; a page past the last costs a count and the
    last page).

    `search` matches a product's name or any of its SKUs (case-insensitive, anywhere in them);
    `status` is one of STATUS_FILTERS (empty: draft and published, archived ones left out);
    `category_id` takes a top-level category's subcategories too; `stock_state` is one of
    STOCK_FILTERS, over the units for sale summed across the product's variants (low: at or
    under the highest low-stock threshold of its variants). A page past the last shows the last.

    The page's ids are chosen first and only those rows get their stock, price range and
    variant count (see `_product_rows`); with a stock filter, each matching product's stock is
    worked out once (a materialized CTE) rather than once per use in the conditions.
    """
    conditions = [Product.merchant_id == merchant_id]
    if status and status in STATUS_FILTERS:
        conditions.append(Product.status == status)
    else:
        conditions.append(Product.status != ProductStatus.ARCHIVED.value)
    if category_id is not None:
        conditions.append(
            sa.or_(Product.category_id == category_id, Product.root_category_id == category_id)
        )
    term = search.strip()[:SEARCH_MAX]
    if term:
        sku_match = (
            sa.select(ProductVariant.id)
            .where(
                ProductVariant.product_id == Product.id,
                ProductVariant.merchant_id == merchant_id,
                ProductVariant.sku.icontains(term, autoescape=True),
            )
            .exists()
        )
        conditions.append(sa.or_(Product.name.icontains(term, autoescape=True), sku_match))
    chosen = sa.select(Product.id.label("id")).where(*conditions)
    if stock_state in STOCK_FILTERS and stock_state:
        stock = (
            sa.select(
                Product.id.label("id"),
                inventory.available_units(Product.id).label("available"),
                inventory.low_stock_threshold(Product.id).label("threshold"),
            )
            .where(*conditions)
            .cte("merchant_stock")
            .prefix_with("MATERIALIZED")
        )
        chosen = sa.select(stock.c.id.label("id")).where(
            _stock_condition(stock_state, stock.c.available, stock.c.threshold)
        )
    chosen = chosen.subquery("chosen")
    page = max(page, 1)
    rows = _product_rows(session, chosen, page, per_page)
    if rows:
        total = rows[0][-1]
    else:
        total = session.scalar(sa.select(sa.func.count()).select_from(chosen)) or 0
        last = max(1, -(-total // per_page))
        if page > last:
            page = last
            rows = _product_rows(session, chosen, page, per_page)
    items = [
        ProductRow(
            id=product_id,
            name=name,
            slug=slug,
            status=product_status,
            category_name=category_name,
            price=Money(price_amount, currency),
            has_price_range=(highest_price or 0) > price_amount,
            variant_count=int(variants),
            stock=StockState(int(units), int(limit)),
            updated_at=updated_at,
        )
        for (
            product_id,
            name,
            slug,
            product_status,
            category_name,
            price_amount,
            currency,
            highest_price,
            variants,
            units,
            limit,
            updated_at,
            _total,
        ) in rows
    ]
    return Page(items, page, per_page, total)


def _product_rows(session: Session, chosen: sa.Subquery, page: int, per_page: int) -> list[sa.Row]:
    """One page of the list's rows, the number of chosen products as their last column (one
    pass over the merchant's products counts them and picks the page's ids); stock, price range
    and variant count are worked out for the page's rows only."""
    page_ids = (
        sa.select(chosen.c.id, sa.func.count().over().label("total"))
        .order_by(chosen.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery("page_ids")
    )
    highest = (
        sa.select(sa.func.max(ProductVariant.price_amount))
        .where(ProductVariant.product_id == Product.id)
        .scalar_subquery()
    )
    variant_count = (
        sa.select(sa.func.count(ProductVariant.id))
        .where(ProductVariant.product_id == Product.id)
        .scalar_subquery()
    )
    return session.execute(
        sa.select(
            Product.id,
            Product.name,
            Product.slug,
            Product.status,
            Category.name,
            Product.price_amount,
            Product.currency,
            highest,
            variant_count,
            inventory.available_units(Product.id),
            inventory.low_stock_threshold(Product.id),
            Product.updated_at,
            page_ids.c.total,
        )
        .join(page_ids, page_ids.c.id == Product.id)
        .join(Category, Category.id == Product.category_id)
        .order_by(Product.id.desc())
    ).all()


def _stock_condition(
    state: str, available: sa.ColumnElement[int], threshold: sa.ColumnElement[int]
) -> sa.ColumnElement[bool]:
    """Products in a stock state, as StockState names them: out (nothing for sale), low (at or
    under the threshold), in stock (above it)."""
    if state == "out":
        return available <= 0
    if state == "low":
        return sa.and_(available > 0, available <= threshold)
    return available > threshold


def product_for_merchant(session: Session, merchant_id: int, product_id: int) -> Product:
    """The merchant's product with its variants (and their options) and attributes; another
    merchant's product raises ProductNotFound, as a missing one does."""
    product = session.scalar(
        sa.select(Product)
        .where(Product.id == product_id, Product.merchant_id == merchant_id)
        .options(selectinload(Product.variants), selectinload(Product.attributes))
    )
    if product is None:
        raise ProductNotFound(str(product_id))
    return product


def product_editor(session: Session, merchant_id: int, product_id: int) -> ProductEditor:
    """The merchant's product ready for its edit form (ProductNotFound for another's)."""
    product = product_for_merchant(session, merchant_id, product_id)
    ordered = ordered_variants(session, [variant.id for variant in product.variants])
    return ProductEditor(product, draft_of(product), frozenset(ordered))


def draft_of(product: Product) -> ProductDraft:
    """A product as its form shows it: option axes in the order its variants name them."""
    names: list[str] = []
    for variant in product.variants:
        for option in variant.options:
            if option.name not in names:
                names.append(option.name)
    names = names[: rules.OPTION_AXES]
    variants = []
    for variant in product.variants:
        by_name = {option.name: option.value for option in variant.options}
        compare_at = variant.compare_at_amount
        variants.append(
            VariantDraft(
                sku=variant.sku,
                price=variant.price.decimal_string(),
                compare_at=(
                    ""
                    if compare_at is None
                    else Money(compare_at, variant.currency).decimal_string()
                ),
                weight=str(variant.weight_grams),
                values=tuple(by_name.get(name, "") for name in names),
                id=variant.id,
            )
        )
    return ProductDraft(
        name=product.name,
        description=product.description,
        category_id=product.category_id,
        option_names=tuple(names),
        attributes=tuple((attribute.name, attribute.value) for attribute in product.attributes),
        variants=tuple(variants),
    )


def ordered_variants(session: Session, variant_ids: list[int]) -> set[int]:
    """Which of these variants were ever ordered: placing an order reserves stock for each of
    its lines, and reservations are kept (resolved, never deleted) as the order's stock record."""
    if not variant_ids:
        return set()
    return set(
        session.scalars(
            sa.select(StockReservation.variant_id)
            .where(StockReservation.variant_id.in_(variant_ids))
            .distinct()
        )
    )


def create_from_draft(
    session: Session, *, merchant_id: int, draft: ProductDraft, currency: str
) -> Product:
    """A new draft (unpublished) product of the merchant from the form, or InvalidProduct
    listing every problem (nothing written)."""
    values, problems = rules.check_product(draft, currency)
    if values is not None:
        problems = _database_problems(session, merchant_id, None, values)
    if values is None or problems:
        raise InvalidProduct(problems)
    specs = [
        VariantSpec(
            sku=variant.sku,
            price_amount=variant.price_amount,
            options=dict(variant.options),
            weight_grams=variant.weight_grams,
            compare_at_amount=variant.compare_at_amount,
        )
        for variant in values.variants
    ]
    try:
        with session.begin_nested():
            return create_product(
                session,
                merchant_id=merchant_id,
                category_id=values.category_id,
                name=values.name,
                description=values.description,
                variants=specs,
                attributes=dict(values.attributes),
                published=False,
                currency=currency,
            )
    except IntegrityError as error:
        raise InvalidProduct({"": [SKU_RACE]}) from error


def update_product(
    session: Session, *, merchant_id: int, product_id: int, draft: ProductDraft
) -> Product:
    """Save the form over the merchant's product: fields, attributes, variants edited, added
    (rows without an id) and removed (a variant with orders is refused). All or nothing:
    InvalidProduct lists every problem and nothing is written."""
    product = product_for_merchant(session, merchant_id, product_id)
    values, problems = rules.check_product(draft, product.currency)
    if values is not None:
        problems = _database_problems(session, merchant_id, product, values)
    if values is None or problems:
        raise InvalidProduct(problems)
    try:
        with session.begin_nested():
            _apply(session, product, values)
    except IntegrityError as error:
        raise InvalidProduct({"": [SKU_RACE]}) from error
    return product


def _database_problems(
    session: Session, merchant_id: int, product: Product | None, values: ProductValues
) -> rules.Problems:
    """What only the database can tell: the category exists, the variants named are the
    product's, no other product of the merchant has these SKUs, removed variants have no orders."""
    problems: rules.Problems = {}
    if session.get(Category, values.category_id) is None:
        rules.add_problem(problems, "category_id", "Choose a category from the list.")
    own = {variant.id for variant in product.variants} if product else set()
    named = [variant.id for variant in values.variants if variant.id is not None]
    if any(variant_id not in own for variant_id in [*named, *values.removed.values()]):
        rules.add_problem(problems, "", GONE_VARIANT)
    skus = {variant.sku: variant.index for variant in values.variants}
    taken = session.execute(
        sa.select(ProductVariant.sku, Product.name)
        .join(Product, Product.id == ProductVariant.product_id)
        .where(
            ProductVariant.merchant_id == merchant_id,
            ProductVariant.sku.in_(sorted(skus)),
            ProductVariant.product_id != (product.id if product else 0),
        )
    ).all()
    for sku, other_name in taken:
        rules.add_problem(
            problems,
            rules.variant_field(skus[sku], "sku"),
            f"Your product \u201c{other_name}\u201d has this SKU already: a SKU names one "
            "variant across your shop.",
        )
    ordered = ordered_variants(session, sorted(values.removed.values()))
    for index, variant_id in values.removed.items():
        if variant_id in ordered:
            rules.add_problem(
                problems,
                rules.variant_field(index, "remove"),
                "This variant has orders, so it stays: unpublish or archive the product instead.",
            )
    return problems


def _apply(session: Session, product: Product, values: ProductValues) -> None:
    """Write checked values over the product. Removed variants and replaced options go first
    (flushed), so a SKU or an option name moving from a removed row to a new one cannot clash."""
    by_id = {variant.id: variant for variant in product.variants}
    removed = set(values.removed.values())
    replaced = set()
    for checked in values.variants:
        variant = by_id.get(checked.id)
        if variant is not None and _pairs(variant) != checked.options:
            replaced.add(variant.id)
            variant.options = []
    product.variants = [variant for variant in product.variants if variant.id not in removed]
    session.flush()
    kept = []
    for checked in values.variants:
        variant = by_id.get(checked.id)
        if variant is None:
            spec = VariantSpec(
                sku=checked.sku,
                price_amount=checked.price_amount,
                options=dict(checked.options),
                weight_grams=checked.weight_grams,
                compare_at_amount=checked.compare_at_amount,
            )
            variant = build_variant(spec, 0, product.currency, product.merchant_id)
        else:
            variant.sku = checked.sku
            variant.price_amount = checked.price_amount
            variant.compare_at_amount = checked.compare_at_amount
            variant.weight_grams = checked.weight_grams
            variant.name = rules.variant_name(value for _name, value in checked.options)
            if variant.id in replaced:
                variant.options = [
                    VariantOption(name=name, value=value, position=index)
                    for index, (name, value) in enumerate(checked.options)
                ]
        kept.append(variant)
    listed = {checked.id for checked in values.variants}
    unlisted = [variant for variant in product.variants if variant.id not in listed]
    product.variants = [*kept, *unlisted]
    for position, variant in enumerate(product.variants):
        variant.position = position
    category = session.get(Category, values.category_id)
    product.name = values.name
    product.description = values.description
    product.category_id = category.id
    product.root_category_id = category.parent_id or category.id
    product.attributes = [
        ProductAttribute(name=name, value=value, position=index)
        for index, (name, value) in enumerate(values.attributes)
    ]
    option_pairs = [pair for variant in product.variants for pair in _pairs(variant)]
    product.price_amount = rules.lowest_price(variant.price_amount for variant in product.variants)
    product.search_text = rules.search_text(
        values.attributes, option_pairs, category_path(session, category)
    )
    product.updated_at = utcnow()
    session.flush()


def _pairs(variant: ProductVariant) -> tuple[tuple[str, str], ...]:
    """A variant's options as (name, value) pairs, in order."""
    return tuple((option.name, option.value) for option in variant.options)


def publish_product(session: Session, merchant_id: int, product_id: int) -> Product:
    """Show the merchant's product in the storefront (at once: product pages are never cached)."""
    return _set_status(session, merchant_id, product_id, ProductStatus.PUBLISHED)


def unpublish_product(session: Session, merchant_id: int, product_id: int) -> Product:
    """Take the merchant's product out of the storefront, back to a draft."""
    return _set_status(session, merchant_id, product_id, ProductStatus.DRAFT)


def archive_product(session: Session, merchant_id: int, product_id: int) -> Product:
    """Retire the merchant's product: out of the storefront and of the working list (orders
    that name it keep it); publishing or unpublishing it brings it back."""
    return _set_status(session, merchant_id, product_id, ProductStatus.ARCHIVED)


def _set_status(
    session: Session, merchant_id: int, product_id: int, status: ProductStatus
) -> Product:
    """Move the merchant's product to `status` (ProductNotFound for another's)."""
    product = session.scalar(
        sa.select(Product).where(Product.id == product_id, Product.merchant_id == merchant_id)
    )
    if product is None:
        raise ProductNotFound(str(product_id))
    if product.status != status:
        product.status = status
        product.updated_at = utcnow()
        session.flush()
    return product
