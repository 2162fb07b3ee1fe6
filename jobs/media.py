"""Media jobs: make an uploaded image's resized copies up front, drop files no image uses.

The media endpoint still makes a missing copy on first request (the fallback while this job
waits, or if it failed); both write each file atomically, so they never clash.
"""

from __future__ import annotations

from flask import current_app

from app.catalog import images
from app.database import db
from app.media import services as media
from jobs.runtime import with_app_context


@with_app_context
def make_resized_copies(image_id: int) -> None:
    """Render every size and format of the image's picture with Pillow and record when
    (`resized_at`); nothing to do when the image is gone or its copies were made already."""
    key = images.image_to_resize(db.session, image_id)
    db.session.rollback()
    if key is None:
        return
    try:
        media.make_derivatives(current_app.config["MEDIA_ROOT"], key)
    except media.ImageNotFound:
        return  # the image was deleted and its file discarded meanwhile
    images.mark_resized(db.session, key)
    db.session.commit()


@with_app_context
def discard_unused_image(key: str) -> None:
    """Remove a stored picture and its copies once no product image uses it."""
    if images.unused_key(db.session, key):
        media.discard_original(current_app.config["MEDIA_ROOT"], key)
    db.session.rollback()
