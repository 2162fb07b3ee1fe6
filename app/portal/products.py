"""The merchant's products in the portal: the list (search, filters, pages), create, edit with
variants and attributes, publish, unpublish and archive.

Every change is a plain form post answered by a redirect (303); a refused one shows the form
again, as typed, with each problem next to its field (422). With htmx the list's filters swap
only the table and "add another variant" swaps only the variant rows; without JavaScript the
same buttons submit the form and the page comes back whole.
"""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, url_for
from htmx_flask import request

from app.catalog import authoring
from app.catalog.authoring import InvalidProduct, ProductNotFound
from app.catalog.views import nav_categories
from app.database import db
from app.platform.errors import render_error
from app.platform.htmx import render_page_or_block
from app.platform.pagination import clamp_page
from app.portal.blueprint import bp
from app.portal.guards import current_merchant
from app.portal.product_forms import ProductForm, category_choices, form_data, whole_number

INVALID_SUBMISSION = 422
LIST_TEMPLATE = "portal/products/list.html"
FORM_TEMPLATE = "portal/products/form.html"


@bp.errorhandler(ProductNotFound)
def product_not_found(error: ProductNotFound):
    """Another merchant's product is answered as one that does not exist."""
    return render_error(404)


@bp.get("/products")
def products():
    """The merchant's products, filtered and paged; htmx swaps only the results."""
    filters = {
        "search": request.args.get("search", "").strip()[: authoring.SEARCH_MAX],
        "status": request.args.get("status", ""),
        "category": whole_number(request.args.get("category")),
        "stock": request.args.get("stock", ""),
    }
    found = authoring.merchant_products(
        db.session,
        current_merchant().id,
        search=filters["search"],
        status=filters["status"] if filters["status"] in authoring.STATUS_FILTERS else "",
        category_id=filters["category"],
        stock_state=filters["stock"] if filters["stock"] in authoring.STOCK_FILTERS else "",
        page=clamp_page(request.args.get("page", 1)),
    )
    args = {key: value for key, value in filters.items() if value}

    def page_url(number: int) -> str:
        return url_for("portal.products", **args, **({"page": number} if number > 1 else {}))

    return render_page_or_block(
        LIST_TEMPLATE,
        "results",
        found=found,
        filters=filters,
        page_url=page_url,
        categories=category_choices(nav_categories()),
        status_filters=authoring.STATUS_FILTERS,
        stock_filters=authoring.STOCK_FILTERS,
    )


@bp.route("/products/new", methods=["GET", "POST"])
def products_new():
    """A new product (saved as a draft): name, category, attributes and variants."""
    form = ProductForm()
    if request.method == "POST":
        if form.wants_another_row():
            return form_page(form, None)
        if form.validate():
            try:
                product = authoring.create_from_draft(
                    db.session,
                    merchant_id=current_merchant().id,
                    draft=form.draft(),
                    currency=current_app.config["DEFAULT_CURRENCY"],
                )
            except InvalidProduct as refused:
                db.session.rollback()
                return form_page(form, None, refused.errors)
            db.session.commit()
            flash("Product saved as a draft: publish it when it is ready.", "success")
            return redirect(url_for("portal.products_edit", product_id=product.id), 303)
        return form_page(form, None, {})
    return form_page(form, None)


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
def products_edit(product_id: int):
    """Edit a product: its fields, attributes and variants (add, change, remove) in one save."""
    merchant_id = current_merchant().id
    if request.method == "GET":
        editor = authoring.product_editor(db.session, merchant_id, product_id)
        return form_page(ProductForm(data=form_data(editor.draft)), editor)
    form = ProductForm()
    if form.wants_another_row():
        return form_page(form, authoring.product_editor(db.session, merchant_id, product_id))
    if form.validate():
        try:
            authoring.update_product(
                db.session, merchant_id=merchant_id, product_id=product_id, draft=form.draft()
            )
        except InvalidProduct as refused:
            db.session.rollback()
            editor = authoring.product_editor(db.session, merchant_id, product_id)
            return form_page(form, editor, refused.errors)
        db.session.commit()
        flash("Changes saved.", "success")
        return redirect(url_for("portal.products_edit", product_id=product_id), 303)
    return form_page(form, authoring.product_editor(db.session, merchant_id, product_id), {})


def form_page(
    form: ProductForm,
    editor: authoring.ProductEditor | None,
    problems: dict[str, list[str]] | None = None,
):
    """The product form (whole, or its variant rows for htmx's "add another variant"); a
    refused submission (`problems` given) answers 422 with each problem next to its field."""
    form.category_id.choices = category_choices(nav_categories())
    general = form.show_problems(problems or {})
    if "csrf_token" in form:
        general.extend(form.csrf_token.errors)
    product = editor.product if editor else None
    images_url = (
        url_for("portal.images", product_id=product.id)
        if product is not None and "portal.images" in current_app.view_functions
        else None
    )
    added_row = bool(form.add_variant.data or form.add_attribute.data)
    context = dict(
        form=form,
        product=product,
        ordered=editor.ordered_variant_ids if editor else frozenset(),
        general_problems=general,
        variant_problems=(problems or {}).get("variants", []),
        failed=problems is not None,
        images_url=images_url,
        added_row=added_row,
    )
    if added_row:
        block = "variants" if form.add_variant.data else "attributes"
        response = render_page_or_block(FORM_TEMPLATE, block, **context)
    else:
        response = Response(render_template(FORM_TEMPLATE, **context))
        response.vary.add("HX-Request")
    if problems is not None:
        response.status_code = INVALID_SUBMISSION
    return response


@bp.post("/products/<int:product_id>/publish")
def products_publish(product_id: int):
    """Put the product on the storefront (visible at once)."""
    authoring.publish_product(db.session, current_merchant().id, product_id)
    db.session.commit()
    flash("Published: the product is on the storefront now.", "success")
    return redirect(url_for("portal.products_edit", product_id=product_id), 303)


@bp.post("/products/<int:product_id>/unpublish")
def products_unpublish(product_id: int):
    """Take the product off the storefront (gone at once), back to a draft."""
    authoring.unpublish_product(db.session, current_merchant().id, product_id)
    db.session.commit()
    flash("Unpublished: the product is a draft, hidden from shoppers.", "success")
    return redirect(url_for("portal.products_edit", product_id=product_id), 303)


@bp.post("/products/<int:product_id>/archive")
def products_archive(product_id: int):
    """Archive the product: off the storefront and out of the working list."""
    authoring.archive_product(db.session, current_merchant().id, product_id)
    db.session.commit()
    flash("Archived: the product is hidden from shoppers and from your product list.", "success")
    return redirect(url_for("portal.products_edit", product_id=product_id), 303)
