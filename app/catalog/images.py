"""Product images as a merchant manages them: upload, alt text, order, variant, delete.

Every function takes the merchant and the product explicitly and finds the product (and the
image) only among that merchant's: another merchant's product or image is `ImageNotFound`,
exactly like one that does not exist. Changes are flushed, never committed: the request (or
job) that calls them commits. Positions of a product's images always run 0..n-1; the first is
the one listings and the product page show first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.catalog.models import Product, ProductImage, ProductVariant
from app.database import utcnow
from app.media import rules as media_rules
from app.media import services as media

MAX_IMAGES_PER_PRODUCT = 12
MAX_ALT_TEXT = 200
DIRECTIONS = {"up": -1, "down": 1}


class ImageNotFound(LookupError):
    """No such product or image for this merchant (another merchant's looks the same)."""


class ImageRefused(ValueError):
    """A change we do not make; the message says why, for the merchant."""


@dataclass(frozen=True)
class ProductImages:
    """A product with its images in order, and the variants an image may be tied to."""

    product: Product
    images: list[ProductImage]
    variants: list[ProductVariant]


def product_images(session: Session, *, merchant_id: int, product_id: int) -> ProductImages:
    """The merchant's product with its images by position and its variants."""
    product = owned_product(session, merchant_id, product_id)
    variants = session.scalars(
        sa.select(ProductVariant)
        .where(ProductVariant.product_id == product.id, ProductVariant.merchant_id == merchant_id)
        .order_by(ProductVariant.position, ProductVariant.id)
    ).all()
    return ProductImages(product, ordered_images(session, product.id), list(variants))


def add_image(
    session: Session,
    *,
    merchant_id: int,
    product_id: int,
    file_bytes: bytes,
    media_root: str | os.PathLike,
    max_bytes: int = media_rules.MAX_UPLOAD_BYTES,
) -> ProductImage:
    """Check and store an uploaded picture as the product's last image, its alt text the
    product's name. Raises `ImageRefused` (a full product) or `media.InvalidImage` (the file)."""
    product = owned_product(session, merchant_id, product_id, lock=True)
    count = session.scalar(sa.select(sa.func.count()).where(ProductImage.product_id == product.id))
    if count >= MAX_IMAGES_PER_PRODUCT:
        raise ImageRefused(
            f"A product can have at most {MAX_IMAGES_PER_PRODUCT} images. "
            "Delete one before adding another."
        )
    limits = media_rules.PRODUCT_IMAGE_LIMITS._replace(max_bytes=max_bytes)
    stored = media.store_image(file_bytes, media_root=media_root, limits=limits)
    image = ProductImage(
        product_id=product.id,
        storage_key=stored.storage_key,
        alt_text=product.name[:MAX_ALT_TEXT],
        width=stored.width,
        height=stored.height,
        position=count,
    )
    session.add(image)
    session.flush()
    return image


def update_image(
    session: Session,
    *,
    merchant_id: int,
    product_id: int,
    image_id: int,
    alt_text: str,
    variant_id: int | None,
) -> ProductImage:
    """Set an image's alt text and the variant it shows (None: the whole product)."""
    set_variant(
        session,
        merchant_id=merchant_id,
        product_id=product_id,
        image_id=image_id,
        variant_id=variant_id,
    )
    return set_alt_text(
        session,
        merchant_id=merchant_id,
        product_id=product_id,
        image_id=image_id,
        alt_text=alt_text,
    )


def set_alt_text(
    session: Session, *, merchant_id: int, product_id: int, image_id: int, alt_text: str
) -> ProductImage:
    """Describe the picture for people who cannot see it; 1 to 200 characters after trimming."""
    image = owned_image(session, merchant_id, product_id, image_id)
    text = " ".join(alt_text.split())
    if not text:
        raise ImageRefused("Describe the picture in a few words.")
    if len(text) > MAX_ALT_TEXT:
        raise ImageRefused(f"Keep the description to {MAX_ALT_TEXT} characters or fewer.")
    image.alt_text = text
    session.flush()
    return image


def set_variant(
    session: Session, *, merchant_id: int, product_id: int, image_id: int, variant_id: int | None
) -> ProductImage:
    """Tie the image to one of the product's variants (shown when it is chosen), or to none."""
    image = owned_image(session, merchant_id, product_id, image_id)
    if variant_id is not None:
        variant = session.scalar(
            sa.select(ProductVariant.id).where(
                ProductVariant.id == variant_id,
                ProductVariant.product_id == product_id,
                ProductVariant.merchant_id == merchant_id,
            )
        )
        if variant is None:
            raise ImageRefused("Choose one of this product's variants.")
    image.variant_id = variant_id
    session.flush()
    return image


def move_image(
    session: Session,
    *,
    merchant_id: int,
    product_id: int,
    image_id: int,
    direction: str | None = None,
    position: int | None = None,
) -> list[ProductImage]:
    """Move an image one place `direction` ("up" or "down") or to `position` (0 is first,
    clamped to the list); the product's images in their new order."""
    owned_product(session, merchant_id, product_id, lock=True)
    image = owned_image(session, merchant_id, product_id, image_id)
    images = ordered_images(session, product_id)
    current = images.index(image)
    if direction is not None:
        if direction not in DIRECTIONS:
            raise ImageRefused("Move an image up or down.")
        target = current + DIRECTIONS[direction]
    elif position is not None:
        target = position
    else:
        raise ImageRefused("Say where the image goes.")
    images.insert(max(0, min(target, len(images) - 1)), images.pop(current))
    renumber(images)
    session.flush()
    return images


def delete_image(session: Session, *, merchant_id: int, product_id: int, image_id: int) -> str:
    """Delete the image; the others close up. Returns its storage key (the stored file may be
    discarded after the commit when no image uses it any more: `unused_key`)."""
    owned_product(session, merchant_id, product_id, lock=True)
    image = owned_image(session, merchant_id, product_id, image_id)
    key = image.storage_key
    session.delete(image)
    session.flush()
    renumber(ordered_images(session, product_id))
    session.flush()
    return key


def unused_key(session: Session, key: str) -> bool:
    """Whether no product image (of any merchant) uses the stored file `key`."""
    return session.scalar(sa.select(ProductImage.id).where(ProductImage.storage_key == key)) is None


def image_to_resize(session: Session, image_id: int) -> str | None:
    """The storage key of an image whose resized copies are still to be made, if any."""
    return session.scalar(
        sa.select(ProductImage.storage_key).where(
            ProductImage.id == image_id, ProductImage.resized_at.is_(None)
        )
    )


def mark_resized(session: Session, key: str) -> None:
    """Record that every resized copy of the stored file `key` exists now, for every image
    that shows it."""
    session.execute(
        sa.update(ProductImage)
        .where(ProductImage.storage_key == key, ProductImage.resized_at.is_(None))
        .values(resized_at=utcnow())
    )


def owned_product(
    session: Session, merchant_id: int, product_id: int, *, lock: bool = False
) -> Product:
    """The merchant's product; locked (FOR UPDATE) while its images change, so two changes
    to one product's images take turns."""
    query = sa.select(Product).where(Product.id == product_id, Product.merchant_id == merchant_id)
    product = session.scalar(query.with_for_update() if lock else query)
    if product is None:
        raise ImageNotFound(product_id)
    return product


def owned_image(session: Session, merchant_id: int, product_id: int, image_id: int) -> ProductImage:
    """One image of the merchant's product."""
    image = session.scalar(
        sa.select(ProductImage)
        .join(Product, Product.id == ProductImage.product_id)
        .where(
            ProductImage.id == image_id,
            ProductImage.product_id == product_id,
            Product.merchant_id == merchant_id,
        )
    )
    if image is None:
        raise ImageNotFound(image_id)
    return image


def ordered_images(session: Session, product_id: int) -> list[ProductImage]:
    """The product's images, first first."""
    return list(
        session.scalars(
            sa.select(ProductImage)
            .where(ProductImage.product_id == product_id)
            .order_by(ProductImage.position, ProductImage.id)
        )
    )


def renumber(images: list[ProductImage]) -> None:
    """Give the images positions 0..n-1 in list order."""
    for position, image in enumerate(images):
        image.position = position
