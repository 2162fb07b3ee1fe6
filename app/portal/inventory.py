"""Inventory pages: the stock table with filters, inline (htmx) or per-row (no JS) editing of a
row, bulk adjustments with a reason, and each variant's ledger.

A row's form carries the version of the figures the merchant saw; an edit made on older figures
is refused and the row comes back with the figures now. htmx swaps the returned row in place;
without JavaScript the same URLs serve a page per row and redirect after a save. A refused edit
is a 409 (stale figures) or 422 (bad figures) page without JavaScript; htmx, which swaps only 2xx
answers, gets the row with the reason as a 200 (as the images page does).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from htmx_flask import request

from app.database import db
from app.inventory import merchant_stock
from app.inventory.merchant_stock import StaleStock, StockFilter, StockNotFound, StockRefused
from app.platform.htmx import render_page_or_block
from app.platform.pagination import clamp_page
from app.portal.blueprint import bp
from app.portal.guards import current_merchant

STATE_LABELS = (
    (StockFilter.ALL, "All"),
    (StockFilter.LOW, "Low or out of stock"),
    (StockFilter.OUT, "Out of stock"),
)


def _fragment() -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def _list_args(source) -> dict:
    """The table's filters (search, state, page) from a query string or a form, for links back."""
    values = {
        "q": source.get("q", "").strip()[: merchant_stock.MAX_SEARCH],
        "state": StockFilter.parse(source.get("state", "")).value,
        "page": clamp_page(source.get("page", 1)),
    }
    return {
        key: value
        for key, value in values.items()
        if value and value != StockFilter.ALL and value != 1
    }


def _links(args: dict) -> dict:
    """What a row links to, built once per page rather than three url_for calls per row (a
    fifth of the table's time): the table's URL and the query string of its filters."""
    return {"inventory_url": url_for("portal.inventory"), "list_query": urlencode(args)}


def _whole_number(text: str | None, field: str, label: str, errors: dict) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        errors[field] = f"{label} must be a whole number."
        return None


def _row_or_404(variant_id: int):
    try:
        return merchant_stock.stock_row(db.session, current_merchant().id, variant_id)
    except StockNotFound:
        abort(404)


@bp.get("/inventory")
def inventory():
    """The stock table: filters, search by SKU or product name, pagination, bulk selection."""
    args = _list_args(request.args)
    page = merchant_stock.stock_table(
        db.session,
        current_merchant().id,
        search=args.get("q", ""),
        state=StockFilter.parse(args.get("state")),
        page=args.get("page", 1),
    )
    return render_page_or_block(
        "portal/inventory/index.html", "table", **_table_context(page, args)
    )


def _table_context(page, args: dict, **extra) -> dict:
    def page_url(number: int) -> str:
        return url_for("portal.inventory", **{**args, "page": number})

    return {
        **_links(args),
        "page": page,
        "args": args,
        "search": args.get("q", ""),
        "state": args.get("state", StockFilter.ALL.value),
        "states": STATE_LABELS,
        "page_url": page_url,
        "bulk_errors": {},
        "bulk": {},
        "selected": set(),
        **extra,
    }


@bp.get("/inventory/<int:variant_id>")
def inventory_row(variant_id: int):
    """One row: for htmx the row itself, or with `edit` its inline form; without JS the page
    that edits it."""
    row = _row_or_404(variant_id)
    args = _list_args(request.args)
    if _fragment():
        template = "_edit_row.html" if request.args.get("edit") else "_row.html"
        return render_template(
            f"portal/inventory/{template}", row=row, args=args, form={}, errors={}, **_links(args)
        )
    return render_template("portal/inventory/edit.html", row=row, args=args, form={}, errors={})


@bp.post("/inventory/<int:variant_id>")
def inventory_edit(variant_id: int):
    """Save a row's on hand and threshold, if nobody changed it since the form was drawn."""
    merchant = current_merchant()
    args = _list_args(request.form)
    errors: dict[str, str] = {}
    on_hand = _whole_number(request.form.get("on_hand"), "on_hand", "On hand", errors)
    threshold = _whole_number(
        request.form.get("low_stock_threshold"),
        "low_stock_threshold",
        "The low-stock threshold",
        errors,
    )
    version = _whole_number(request.form.get("version"), "version", "The version", errors)
    form = {key: request.form.get(key, "") for key in ("on_hand", "low_stock_threshold", "note")}
    if "version" in errors:
        abort(400)
    try:
        if errors:
            raise StockRefused(errors)
        row = merchant_stock.edit_stock(
            db.session,
            merchant.id,
            variant_id,
            on_hand=on_hand,
            low_stock_threshold=threshold,
            expected_version=version,
            actor_id=current_user.id,
            note=form["note"],
        )
    except StockNotFound:
        abort(404)
    except StaleStock as stale:
        db.session.rollback()
        return _edit_form(stale.current, args, {}, {}, stale=stale.current, attempted=form), (
            200 if _fragment() else 409
        )
    except StockRefused as refused:
        db.session.rollback()
        return _edit_form(_row_or_404(variant_id), args, form, refused.errors), (
            200 if _fragment() else 422
        )
    db.session.commit()
    message = f"Saved the stock of {row.sku}: {row.on_hand} on hand, {row.available} available."
    if _fragment():
        return render_template(
            "portal/inventory/_row.html", row=row, args=args, saved_message=message, **_links(args)
        )
    flash(message, "success")
    return redirect(url_for("portal.inventory", **args), 303)


def _edit_form(row, args: dict, form: dict, errors: dict, **extra) -> str:
    template = "_edit_row.html" if _fragment() else "edit.html"
    return render_template(
        f"portal/inventory/{template}",
        row=row,
        args=args,
        form=form,
        errors=errors,
        **_links(args),
        **extra,
    )


@bp.post("/inventory/bulk")
def inventory_bulk():
    """Adjust the selected rows by a change or to a figure, with a reason: all rows or none."""
    merchant = current_merchant()
    args = _list_args(request.form)
    errors: dict[str, str] = {}
    selected = set()
    for value in request.form.getlist("variant_id"):
        try:
            selected.add(int(value))
        except ValueError:
            abort(400)
    mode = request.form.get("mode", "change")
    amount = _whole_number(request.form.get("amount"), "amount", "The amount", errors)
    note = request.form.get("note", "")
    try:
        if errors:
            raise StockRefused(errors)
        changed = merchant_stock.bulk_adjust(
            db.session,
            merchant.id,
            selected,
            note=note,
            actor_id=current_user.id,
            delta=amount if mode != "set" else None,
            set_to=amount if mode == "set" else None,
        )
    except StockNotFound:
        abort(404)
    except StockRefused as refused:
        db.session.rollback()
        page = merchant_stock.stock_table(
            db.session,
            merchant.id,
            search=args.get("q", ""),
            state=StockFilter.parse(args.get("state")),
            page=args.get("page", 1),
        )
        context = _table_context(
            page,
            args,
            bulk_errors=refused.errors,
            bulk={"mode": mode, "amount": request.form.get("amount", ""), "note": note},
            selected=selected,
        )
        return render_template("portal/inventory/index.html", **context), 422
    db.session.commit()
    flash(f"Adjusted {changed} row{'s' if changed != 1 else ''}: {note.strip()}", "success")
    return redirect(url_for("portal.inventory", **args), 303)


@bp.get("/inventory/<int:variant_id>/ledger")
def inventory_ledger(variant_id: int):
    """Every change to one variant's stock, newest first: who, why, how much, when."""
    try:
        row, page = merchant_stock.ledger(
            db.session,
            current_merchant().id,
            variant_id,
            page=clamp_page(request.args.get("page", 1)),
        )
    except StockNotFound:
        abort(404)

    def page_url(number: int) -> str:
        return url_for("portal.inventory_ledger", variant_id=variant_id, page=number)

    return render_page_or_block(
        "portal/inventory/ledger.html", "ledger", row=row, page=page, page_url=page_url
    )
