"""Catalogue import and export in the portal: upload a CSV, watch it run, read and download the
report; download the catalogue (streamed) and a sample file.

The upload is a plain form post answered by a redirect (303) to the import's page; a refused
file re-renders the form with the reason next to the file field. The import's page refreshes
its progress block every second with htmx while the job runs, and the whole page refreshes
itself (a `<meta http-equiv="refresh">` inside `<noscript>`) when JavaScript is off.
"""

from __future__ import annotations

from flask import Response, current_app, redirect, stream_with_context, url_for
from flask import request as flask_request
from flask_login import current_user
from htmx_flask import request

from app.catalog import exporting, importing
from app.catalog import import_rules as csv_format
from app.catalog.models import ImportOutcome, ImportStatus
from app.database import db, utcnow
from app.platform.errors import render_error
from app.platform.htmx import render_page_or_block
from app.platform.jobs import enqueue
from app.portal.blueprint import bp
from app.portal.guards import current_merchant

UPLOAD_ENDPOINT = "portal.imports_upload"
FORM_OVERHEAD_BYTES = 64 * 1024
# werkzeug's multipart parser reads 64 KiB at a time and refuses a body once its unparsed buffer
# (the leftover of one read plus the next read) passes MAX_FORM_MEMORY_SIZE, which defaults to
# 64 KiB: any file larger than that would be refused. Twice the read size lets files through;
# form values stay bounded by it (see app.platform.security.refuse_unusable_values).
PARSER_BUFFER_LIMIT = 2 * 64 * 1024
UPLOAD_BODY_LIMIT = 4 * csv_format.MAX_BYTES
REFUSED = 422
TOO_LARGE = 413
REJECTED_SHOWN = 50
REFRESH_SECONDS = 2
CSV_TYPE = "text/csv; charset=utf-8"


@bp.url_value_preprocessor
def allow_catalogue_uploads(endpoint: str | None, values: dict | None) -> None:
    """Before any hook reads the body: an import upload may exceed MAX_CONTENT_LENGTH, so that
    a file over the documented limit still reaches the page that says so (bodies beyond four
    times the limit get the portal's plain "too large" answer)."""
    if endpoint == UPLOAD_ENDPOINT:
        flask_request.max_content_length = UPLOAD_BODY_LIMIT + FORM_OVERHEAD_BYTES
        flask_request.max_form_memory_size = PARSER_BUFFER_LIMIT


@bp.errorhandler(importing.ImportNotFound)
def import_not_found(error: importing.ImportNotFound):
    """Another merchant's import is answered as one that does not exist."""
    return render_error(404)


@bp.get("/imports")
def imports():
    """The upload form, the file format, the sample and export downloads, recent imports."""
    return page()


@bp.post("/imports")
def imports_upload():
    """Store the uploaded file and queue its import, or show why the file was refused."""
    upload = request.files.get("file")
    content = upload.read() if upload else b""
    if not upload or not upload.filename:
        return page(REFUSED, upload_error="Choose a CSV file to import.")
    try:
        record = importing.start_import(
            db.session,
            current_merchant().id,
            current_user.id,
            upload.filename,
            content,
        )
    except csv_format.FileRefused as refused:
        db.session.rollback()
        status = TOO_LARGE if len(content) > csv_format.MAX_BYTES else REFUSED
        return page(status, upload_error=str(refused))
    db.session.commit()
    enqueue("jobs.imports.run_catalog_import", record.id)
    return redirect(url_for("portal.imports_detail", import_id=record.id), 303)


@bp.get("/imports/<int:import_id>")
def imports_detail(import_id: int):
    """The import's progress (htmx polls the block every second while it runs), then its
    counts and the first rejected rows."""
    record = importing.get_import(db.session, current_merchant().id, import_id)
    finished = record.status in (ImportStatus.DONE, ImportStatus.FAILED)
    rejected = (
        importing.report_rows(
            db.session,
            current_merchant().id,
            import_id,
            outcome=ImportOutcome.REJECTED,
            limit=REJECTED_SHOWN,
        )
        if finished and record.rejected_count
        else []
    )
    response = render_page_or_block(
        "portal/imports/detail.html",
        "import_status",
        record=record,
        finished=finished,
        rejected=rejected,
        rejected_shown=REJECTED_SHOWN,
        refresh_seconds=REFRESH_SECONDS,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/imports/<int:import_id>/report.csv")
def imports_report(import_id: int):
    """The whole report as CSV: line, sku, outcome, reason."""
    lines = importing.report_csv(db.session, current_merchant().id, import_id)
    return csv_download(lines, f"import-{import_id}-report.csv")


@bp.get("/imports/sample.csv")
def imports_sample():
    """A small file in the import format, to start from."""
    return csv_download(iter([exporting.sample_csv()]), "catalogue-sample.csv")


@bp.get("/imports/export.csv")
def imports_export():
    """The merchant's whole catalogue in the import format, streamed as it is read."""
    merchant = current_merchant()
    lines = exporting.export_csv(db.session, merchant.id)
    filename = exporting.export_filename(merchant.slug, utcnow().date().isoformat())
    return csv_download(lines, filename)


def csv_download(lines, filename: str) -> Response:
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Type"] = CSV_TYPE
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def page(status: int = 200, upload_error: str | None = None) -> Response:
    details = importing.import_page(db.session, current_merchant().id)
    response = render_page_or_block(
        "portal/imports/index.html",
        "upload_form",
        recent=details.recent,
        categories=details.categories,
        upload_error=upload_error,
        columns=csv_format.COLUMN_DOCS,
        max_bytes=csv_format.megabytes(csv_format.MAX_BYTES),
        max_rows=csv_format.MAX_ROWS,
        currency=current_app.config["DEFAULT_CURRENCY"],
    )
    response.status_code = status
    return response
