"""A product's images in the portal: upload, alt text and variant, order, delete.

Every action is a plain form post answered by a redirect (303) back to the page; with htmx the
page's image block is swapped in place instead, with the message beside it. A refused change
shows its reason next to the field it concerns (422 without JavaScript; htmx, which swaps only
2xx answers, gets the block with the reason).
"""

from __future__ import annotations

from flask import current_app, flash, g, redirect, url_for
from flask import request as flask_request
from htmx_flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from app.catalog import images as catalog_images
from app.database import db
from app.media import rules as media_rules
from app.media.services import InvalidImage
from app.platform.errors import render_error
from app.platform.htmx import render_page_or_block
from app.platform.jobs import enqueue
from app.portal.blueprint import bp
from app.portal.guards import current_merchant, require_staff

UPLOAD_ENDPOINT = "portal.images_upload"
FORM_OVERHEAD_BYTES = 64 * 1024
PARSER_MEMORY_BYTES = 1024 * 1024
INVALID_SUBMISSION = 422
PRODUCT_EDIT_ENDPOINT = "portal.products_edit"


@bp.url_value_preprocessor
def allow_image_uploads(endpoint: str | None, values: dict | None) -> None:
    """Before any hook reads the body: an image upload may be as large as IMAGE_UPLOAD_MAX_BYTES
    (plus the form around it); every other request keeps the app's MAX_CONTENT_LENGTH.

    werkzeug's multipart parser also counts, against MAX_FORM_MEMORY_SIZE, the bytes of a file
    it holds back while looking for the boundary plus the next 64 KiB it reads: with the app's
    64 KiB any binary file over 64 KiB would be refused. The upload's parser may hold 1 MiB.
    """
    if endpoint == UPLOAD_ENDPOINT:
        flask_request.max_content_length = upload_limit() + FORM_OVERHEAD_BYTES
        flask_request.max_form_memory_size = PARSER_MEMORY_BYTES


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge):
    """A body over its limit on any portal route, refused before the portal's guard ran: the
    guard runs now (the page needs the merchant), then an oversized image gets the images page
    with the reason next to the upload field, and any other upload the plain "too large" page."""
    if "portal_merchant" not in g and (refusal := require_staff()) is not None:
        return refusal
    if request.endpoint != UPLOAD_ENDPOINT:
        return render_error(RequestEntityTooLarge.code)
    message = f"The file is larger than {media_rules.megabytes(upload_limit())}."
    try:
        return page(request.view_args["product_id"], error.code, upload_error=message)
    except catalog_images.ImageNotFound:
        return render_error(404)


@bp.errorhandler(catalog_images.ImageNotFound)
def image_not_found(error: catalog_images.ImageNotFound):
    """Another merchant's product or image is answered as one that does not exist."""
    return render_error(404)


@bp.get("/products/<int:product_id>/images")
def images(product_id: int):
    """The product's images in order, each with its alt text, and the upload form."""
    return page(product_id)


@bp.post("/products/<int:product_id>/images")
def images_upload(product_id: int):
    """Add an uploaded picture as the product's last image; its copies are made by a job."""
    upload = request.files.get("image")
    file_bytes = upload.read() if upload else b""
    if not file_bytes:
        return page(product_id, INVALID_SUBMISSION, upload_error="Choose an image to upload.")
    try:
        image = catalog_images.add_image(
            db.session,
            merchant_id=current_merchant().id,
            product_id=product_id,
            file_bytes=file_bytes,
            media_root=current_app.config["MEDIA_ROOT"],
            max_bytes=upload_limit(),
        )
    except (InvalidImage, catalog_images.ImageRefused) as error:
        db.session.rollback()
        return page(product_id, INVALID_SUBMISSION, upload_error=str(error))
    db.session.commit()
    enqueue("jobs.media.make_resized_copies", image.id)
    return done(product_id, "Image added.")


@bp.post("/products/<int:product_id>/images/<int:image_id>/update")
def images_update(product_id: int, image_id: int):
    """Save an image's alt text and the variant it shows."""
    alt_text = request.form.get("alt_text", "")
    try:
        catalog_images.update_image(
            db.session,
            merchant_id=current_merchant().id,
            product_id=product_id,
            image_id=image_id,
            alt_text=alt_text,
            variant_id=chosen_variant(),
        )
    except catalog_images.ImageRefused as error:
        db.session.rollback()
        return page(
            product_id,
            INVALID_SUBMISSION,
            image_errors={image_id: str(error)},
            alt_texts={image_id: alt_text},
        )
    db.session.commit()
    return done(product_id, "Image saved.")


@bp.post("/products/<int:product_id>/images/<int:image_id>/move")
def images_move(product_id: int, image_id: int):
    """Move an image up or down the list (or to the 1-based `position` given)."""
    try:
        catalog_images.move_image(
            db.session,
            merchant_id=current_merchant().id,
            product_id=product_id,
            image_id=image_id,
            direction=request.form.get("direction"),
            position=chosen_position(),
        )
    except catalog_images.ImageRefused as error:
        db.session.rollback()
        return page(product_id, INVALID_SUBMISSION, image_errors={image_id: str(error)})
    db.session.commit()
    return done(product_id, "Image moved.")


@bp.post("/products/<int:product_id>/images/<int:image_id>/delete")
def images_delete(product_id: int, image_id: int):
    """Delete an image; its stored file goes too once no image uses it (a job, after commit)."""
    key = catalog_images.delete_image(
        db.session, merchant_id=current_merchant().id, product_id=product_id, image_id=image_id
    )
    db.session.commit()
    enqueue("jobs.media.discard_unused_image", key)
    return done(product_id, "Image deleted.")


def upload_limit() -> int:
    """The largest image file accepted, in bytes."""
    return current_app.config["IMAGE_UPLOAD_MAX_BYTES"]


def chosen_variant() -> int | None:
    """The variant picked in the form (none: the image shows the whole product)."""
    value = request.form.get("variant_id", "")
    if not value:
        return None
    if not value.isdigit():
        raise catalog_images.ImageRefused("Choose one of this product's variants.")
    return int(value)


def chosen_position() -> int | None:
    """The 1-based position typed in the form, as a 0-based one."""
    value = request.form.get("position", "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise catalog_images.ImageRefused("Give a position of 1 or more.")
    return int(value) - 1


def done(product_id: int, message: str):
    """After a change: back to the page (303), or the image block for htmx."""
    flash(message, "success")
    if is_fragment_request():
        return page(product_id)
    return redirect(url_for("portal.images", product_id=product_id), 303)


def page(product_id: int, status: int = 200, **problems):
    """The images page (or its image block for htmx); a refusal's status for full pages."""
    listing = catalog_images.product_images(
        db.session, merchant_id=current_merchant().id, product_id=product_id
    )
    response = render_page_or_block(
        "portal/images.html",
        "image_manager",
        listing=listing,
        product_url=product_url(product_id),
        limits=media_rules.PRODUCT_IMAGE_LIMITS,
        max_bytes=media_rules.megabytes(upload_limit()),
        max_images=catalog_images.MAX_IMAGES_PER_PRODUCT,
        fragment=is_fragment_request(),
        upload_error=problems.get("upload_error"),
        image_errors=problems.get("image_errors", {}),
        alt_texts=problems.get("alt_texts", {}),
    )
    if not is_fragment_request():
        response.status_code = status
    return response


def is_fragment_request() -> bool:
    """Whether the answer is the image block (an htmx request, not a history restore)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def product_url(product_id: int) -> str | None:
    """The product's edit page, when the portal has one."""
    if PRODUCT_EDIT_ENDPOINT not in current_app.view_functions:
        return None
    return url_for(PRODUCT_EDIT_ENDPOINT, product_id=product_id)
