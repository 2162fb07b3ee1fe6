"""Catalog: the category tree, products, their variants, attributes and images."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import db, utcnow
from app.money import Money


class ProductStatus(enum.StrEnum):
    """Only published products are shown in the storefront; archived ones are kept for the
    orders that name them but leave the merchant's working list."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Category(db.Model):
    """A node of the category tree (top-level categories have no parent)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(140), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    parent: Mapped[Category | None] = relationship(remote_side=[id])


class Product(db.Model):
    """Something a merchant sells; bought as one of its variants."""

    __tablename__ = "products"
    __table_args__ = (
        *(
            sa.Index(
                f"ix_products_{scope}_{order}",
                scope,
                "status",
                *columns,
                "id",
                postgresql_include=["merchant_id"],
            )
            for scope in ("category_id", "root_category_id")
            for order, columns in (("newest", ["created_at"]), ("price", ["price_amount"]))
        ),
        sa.Index("ix_products_status_created", "status", "created_at"),
        sa.Index("ix_products_status_price", "status", "price_amount"),
        sa.Index("ix_products_featured", "is_featured", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("merchants.id", ondelete="CASCADE"), index=True
    )
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id", ondelete="RESTRICT"))
    root_category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="RESTRICT")
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(220), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(16), default=ProductStatus.DRAFT)
    is_featured: Mapped[bool] = mapped_column(default=False)
    price_amount: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    variants: Mapped[list[ProductVariant]] = relationship(
        back_populates="product", order_by="ProductVariant.position", cascade="all, delete-orphan"
    )
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", order_by="ProductImage.position", cascade="all, delete-orphan"
    )
    attributes: Mapped[list[ProductAttribute]] = relationship(
        order_by="ProductAttribute.position", cascade="all, delete-orphan"
    )
    category: Mapped[Category] = relationship(foreign_keys=[category_id])

    @property
    def price(self) -> Money:
        """The lowest variant price ("from" price in listings)."""
        return Money(self.price_amount, self.currency)

    @property
    def is_published(self) -> bool:
        return self.status == ProductStatus.PUBLISHED


class CategoryCount(db.Model):
    """How many published products a merchant has in a category, its subcategories' included.

    A read model kept exact by database triggers on `products` (migration 0005); code only
    reads it. A category's count on the storefront adds up the rows of active merchants.
    """

    __tablename__ = "category_counts"

    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True
    )
    merchant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True
    )
    published: Mapped[int]


class ProductVariant(db.Model):
    """A buyable version of a product (a size, a colour), with its own SKU and price."""

    __tablename__ = "product_variants"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "sku"),
        sa.Index(
            "ix_product_variants_merchant_sku_page",
            "merchant_id",
            "sku",
            postgresql_include=["id", "product_id"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    price_amount: Mapped[int]
    compare_at_amount: Mapped[int | None]
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    weight_grams: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="variants")
    options: Mapped[list[VariantOption]] = relationship(
        order_by="VariantOption.position", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.currency)


class VariantOption(db.Model):
    """One axis value of a variant, e.g. Size = M or Colour = Red."""

    __tablename__ = "variant_options"
    __table_args__ = (sa.UniqueConstraint("variant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("product_variants.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(sa.String(60))
    value: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)


class ProductAttribute(db.Model):
    """A descriptive product attribute, e.g. Material = Cotton (searchable)."""

    __tablename__ = "product_attributes"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(60))
    value: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)


class ProductImage(db.Model):
    """An uploaded product picture; resized copies are derived from the stored original."""

    __tablename__ = "product_images"
    __table_args__ = (sa.Index("ix_product_images_product_position", "product_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    variant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("product_variants.id", ondelete="SET NULL"), index=True
    )
    storage_key: Mapped[str] = mapped_column(sa.String(200))
    alt_text: Mapped[str] = mapped_column(sa.String(200), default="")
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)
    resized_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(back_populates="images")


class ImportStatus(enum.StrEnum):
    """A catalogue import: queued, running (rows counted as they go), then done or failed."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CatalogImport(db.Model):
    """One CSV upload of a merchant's catalogue, applied by a job; its report is its rows."""

    __tablename__ = "catalog_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("merchants.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=ImportStatus.QUEUED)
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    unchanged_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ImportOutcome(enum.StrEnum):
    """What an import did with one row of the file."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


class CatalogImportRow(db.Model):
    """One line of an import's report: the file's line number, its SKU and what happened."""

    __tablename__ = "catalog_import_rows"
    __table_args__ = (sa.Index("ix_catalog_import_rows_import_line", "import_id", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_imports.id", ondelete="CASCADE"))
    line: Mapped[int]
    sku: Mapped[str] = mapped_column(sa.String(64), default="")
    outcome: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
