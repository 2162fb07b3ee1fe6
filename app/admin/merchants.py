"""Merchant applications waiting for a decision: approve, or reject with a reason (emailed)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.admin.blueprint import bp
from app.database import db
from app.merchants import onboarding
from app.merchants.services import InvalidInput, NotFound, Refused
from app.platform.errors import render_error

INVALID_SUBMISSION = 422
CONFLICT = 409


class RejectForm(FlaskForm):
    """Why the application is turned down (the applicant is emailed it)."""

    reason = TextAreaField(
        "Reason (emailed to the applicant)",
        validators=[
            DataRequired("Say why the application is rejected."),
            Length(
                max=onboarding.REASON_MAX,
                message=f"Use at most {onboarding.REASON_MAX} characters.",
            ),
        ],
    )


def reject_form(application_id: int, formdata=None) -> RejectForm:
    """The reject form of one application (its fields named apart from the others')."""
    return RejectForm(formdata=formdata, prefix=f"reject-{application_id}")


def applications_page(
    failed: tuple[int, RejectForm] | None = None, problem: str | None = None, status: int = 200
):
    """The list; `failed` is an application's reject form that failed, `problem` a refusal."""
    page = render_template(
        "admin/merchants.html",
        applications=onboarding.pending_applications(db.session),
        failed=failed,
        problem=problem,
        reject_form=reject_form,
    )
    return page, status


@bp.get("/merchants")
def merchants():
    """Applications to sell, oldest first, each with approve and reject buttons."""
    return applications_page()


@bp.post("/merchants/applications/<int:application_id>/approve")
def merchants_approve(application_id: int):
    """Open the shop: the applicant becomes its owner and is emailed."""
    try:
        merchant = onboarding.approve_application(db.session, application_id, current_user.id)
    except NotFound:
        return render_error(404)
    except Refused as error:
        return applications_page(problem=str(error), status=CONFLICT)
    flash(f"{merchant.name} is approved and open; its owner has been emailed.", "success")
    return redirect(url_for("admin.merchants"), 303)


@bp.post("/merchants/applications/<int:application_id>/reject")
def merchants_reject(application_id: int):
    """Turn the application down; the reason is emailed to the applicant."""
    form = RejectForm(prefix=f"reject-{application_id}")
    if form.validate_on_submit():
        try:
            application = onboarding.reject_application(
                db.session, application_id, current_user.id, form.reason.data
            )
        except NotFound:
            return render_error(404)
        except Refused as error:
            return applications_page(problem=str(error), status=CONFLICT)
        except InvalidInput as error:
            form.reason.errors = [*form.reason.errors, *error.errors.get("reason", [])]
        else:
            flash(f"The application for {application.shop_name} is rejected.", "success")
            return redirect(url_for("admin.merchants"), 303)
    return applications_page(failed=(application_id, form), status=INVALID_SUBMISSION)
