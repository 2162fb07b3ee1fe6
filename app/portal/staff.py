"""Staff page (owners only): the shop's members and waiting invitations; invite by email,
revoke an invitation, remove a member. Plain forms, post/redirect/get; a refusal is shown on
the page with a 4xx."""

from __future__ import annotations

import functools

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from app.database import db, utcnow
from app.merchants import staff
from app.merchants.services import InvalidInput, NotFound, Refused
from app.platform.errors import render_error
from app.portal.blueprint import bp
from app.portal.guards import current_merchant, is_owner

OWNERS_ONLY = "Only the shop's owners manage its staff."
INVALID_SUBMISSION = 422
CONFLICT = 409


def strip(value: str | None) -> str | None:
    """Field filter: drop surrounding whitespace."""
    return value.strip() if isinstance(value, str) else value


class InviteForm(FlaskForm):
    """Invite someone to the staff by email."""

    email = EmailField(
        "Email address",
        filters=[strip],
        validators=[
            DataRequired("Enter the email address to invite."),
            Length(max=staff.EMAIL_MAX, message=f"Use at most {staff.EMAIL_MAX} characters."),
        ],
    )


def owners_only(view):
    """The staff pages are for the shop's owners: other staff get a 403."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not is_owner():
            return render_error(403, OWNERS_ONLY)
        return view(*args, **kwargs)

    return guarded


def staff_page(form: InviteForm | None = None, problem: str | None = None, status: int = 200):
    """The staff page; `form` is an invite form that failed, `problem` a refusal to show."""
    page = render_template(
        "portal/staff.html",
        staff_list=staff.staff_list(db.session, current_merchant()),
        form=form or InviteForm(formdata=None),
        problem=problem,
        now=utcnow(),
        me=current_user.id,
        invite_days=staff.INVITE_DAYS,
    )
    return page, status


@bp.get("/staff", endpoint="staff")
@owners_only
def staff_members():
    """The members of the shop and the invitations waiting for an answer."""
    return staff_page()


@bp.post("/staff/invite", endpoint="staff_invite")
@owners_only
def invite():
    """Email someone a link that makes them staff of this shop."""
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invite = staff.invite_staff(
                db.session, current_merchant(), form.email.data, current_user.id
            )
        except InvalidInput as error:
            form.email.errors = [*form.email.errors, *error.errors.get("email", [])]
        else:
            flash(f"An invitation has been emailed to {invite.email}.", "success")
            return redirect(url_for("portal.staff"), 303)
    return staff_page(form=form, status=INVALID_SUBMISSION)


@bp.post("/staff/invites/<int:invite_id>/revoke", endpoint="staff_revoke")
@owners_only
def revoke(invite_id: int):
    """Withdraw an invitation: its link stops working."""
    try:
        invite = staff.revoke_invite(db.session, current_merchant(), invite_id)
    except NotFound:
        return render_error(404)
    except Refused as error:
        return staff_page(problem=str(error), status=CONFLICT)
    flash(f"The invitation to {invite.email} has been withdrawn.", "success")
    return redirect(url_for("portal.staff"), 303)


@bp.post("/staff/<int:membership_id>/remove", endpoint="staff_remove")
@owners_only
def remove(membership_id: int):
    """Take someone off the shop's staff."""
    try:
        member = staff.remove_staff(db.session, current_merchant(), membership_id, current_user.id)
    except NotFound:
        return render_error(404)
    except Refused as error:
        return staff_page(problem=str(error), status=CONFLICT)
    flash(f"{member.name or member.email} no longer works for this shop.", "success")
    return redirect(url_for("portal.staff"), 303)
