"""Storefront pages for shops: the "Sell with us" application and the staff invitation link
(outside the portal, whose guard only lets staff in: the invitee is not staff yet)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from htmx_flask import request

from app.database import db
from app.merchants import onboarding, staff
from app.merchants.forms import ApplicationForm
from app.merchants.services import InvalidInput, Refused

bp = Blueprint("merchants", __name__, url_prefix="/sell")

INVALID_SUBMISSION = 422
PORTAL_PAGES = ("portal.dashboard", "portal.products", "portal.inventory", "portal.staff")


@bp.after_request
def forbid_caching(response: Response) -> Response:
    """Personal pages carrying CSRF tokens: never stored in any cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def portal_home() -> str:
    """The first page of the shop portal."""
    endpoint = next(
        (name for name in PORTAL_PAGES if name in current_app.view_functions), "catalog.home"
    )
    return url_for(endpoint)


def show_errors(form: FlaskForm, errors: dict[str, list[str]]) -> None:
    """Attach a service's InvalidInput messages to the form fields they concern."""
    for name, messages in errors.items():
        form[name].errors = [*form[name].errors, *messages]


@bp.route("", methods=["GET", "POST"])
@login_required
def apply():
    """ "Sell with us": apply to open a shop (one application waits at a time); staff of a shop
    are shown the way to its portal, and a waiting application its status."""
    status = onboarding.applicant_status(db.session, current_user.id)
    if status.membership is not None or status.waiting:
        return render_template(
            "merchants/apply.html", status=status, form=None, portal_url=portal_home()
        )
    form = ApplicationForm()
    if request.method == "GET":
        form.contact_name.data = current_user.name
        form.contact_email.data = current_user.email
    if form.validate_on_submit():
        fields = onboarding.ApplicationFields(
            shop_name=form.shop_name.data,
            contact_name=form.contact_name.data,
            contact_email=form.contact_email.data,
            phone=form.phone.data or "",
            description=form.description.data,
        )
        try:
            onboarding.apply(db.session, current_user.id, fields)
        except InvalidInput as error:
            show_errors(form, error.errors)
        except Refused as error:
            form.form_errors.append(str(error))
        else:
            flash(
                "Thank you! Your application has been sent. We will email you our decision.",
                "success",
            )
            return redirect(url_for("merchants.apply"), 303)
    failed = form.is_submitted()
    page = render_template("merchants/apply.html", status=status, form=form)
    return page, INVALID_SUBMISSION if failed else 200


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str):
    """An emailed staff invitation: signed-in as the invited address, a button joins the shop
    (a GET changes nothing); anyone else is asked to sign in or register first."""
    form = FlaskForm()
    try:
        if request.method == "POST":
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if form.validate_on_submit():
                membership = staff.accept_invite(
                    db.session, token, current_user.id, current_user.email
                )
                flash(f"Welcome to the team of {membership.merchant.name}!", "success")
                return redirect(portal_home(), 303)
        opened = staff.invite_for_token(db.session, token)
    except staff.InviteProblem as problem:
        page = render_template("merchants/join.html", problem=str(problem), invite=None)
        return page, problem.status
    return render_template(
        "merchants/join.html",
        invite=opened.invite,
        shop=opened.shop,
        form=form,
        problem=None,
    )
