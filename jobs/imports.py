"""Catalogue import jobs: apply an uploaded CSV file in the background."""

from __future__ import annotations

from flask import current_app

from app.catalog import importing
from app.database import db
from app.search.services import refresh_vocabulary
from jobs.runtime import with_app_context


@with_app_context
def run_catalog_import(import_id: int) -> None:
    """Apply the import (see `importing.run_import`), then refresh the search vocabulary so the
    new names are known to spelling suggestions, as after the demo seed's bulk write."""
    record = importing.run_import(
        db.session, import_id, currency=current_app.config["DEFAULT_CURRENCY"]
    )
    if record is not None and record.created_count + record.updated_count:
        refresh_vocabulary(db.session)
        db.session.commit()
