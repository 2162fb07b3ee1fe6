"""Accounts: sign-up, sign-in, password reset, profile and address book."""

from __future__ import annotations

import uuid
from dataclasses import asdict

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm

from app.accounts import services, throttling
from app.accounts.addresses import address_lines, one_line, region_field
from app.accounts.forms import (
    AddressForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from app.accounts.models import User
from app.accounts.rules import ADDRESS_LIMITS, EMAIL_MAX, TokenState, safe_next_path
from app.database import db
from app.extensions import limiter, login_manager, redis_client
from app.platform.errors import render_error
from app.platform.jobs import enqueue

bp = Blueprint("accounts", __name__, url_prefix="/account")
bp.add_app_template_filter(address_lines)
bp.add_app_template_filter(one_line, "address_one_line")
bp.add_app_template_global(region_field)

INVALID_SUBMISSION = 422
LOGIN_FAILED = "That email and password do not match an account. Check them and try again."
TOKEN_PROBLEMS = {
    TokenState.UNKNOWN: (404, "This password-reset link is not valid. Ask for a new one."),
    TokenState.EXPIRED: (410, "This password-reset link has expired. Ask for a new one."),
    TokenState.USED: (410, "This password-reset link has already been used. Ask for a new one."),
}


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """Flask-Login: the user of a session, or None once its session version is stale."""
    return services.user_for_session(db.session, identity)


@bp.after_request
def forbid_caching(response: Response) -> Response:
    """Account pages are personal and carry CSRF tokens: never store them in any cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(services.AddressNotFound)
def address_not_found(error: services.AddressNotFound):
    """Someone else's (or a deleted) address looks exactly like one that never existed."""
    return render_error(404)


def login_rate_limit() -> str:
    """The configured sign-in limit, e.g. "10 per minute;50 per hour"."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def account_key(email: str) -> str:
    """One account's key for counting, however its email is typed."""
    return "account:" + email.strip().lower()[:EMAIL_MAX]


def submitted_email() -> str:
    """Rate-limit key for one account: the email the form names."""
    return account_key(request.form.get("email", ""))


def no_submitted_email() -> bool:
    """No email in the form: only the per-IP limit applies."""
    return not request.form.get("email", "").strip()


def per_address_rate_limit(view):
    """LOGIN_RATE_LIMIT on a form's POSTs from one address."""
    return limiter.limit(login_rate_limit, methods=["POST"])(view)


def sign_in_rate_limits(view):
    """LOGIN_RATE_LIMIT on an emailing form's POSTs, per IP and per account it names (which also
    caps the emails one address can be sent)."""
    per_account = limiter.limit(
        login_rate_limit,
        key_func=submitted_email,
        exempt_when=no_submitted_email,
        methods=["POST"],
        scope="account",
    )
    return limiter.limit(login_rate_limit, methods=["POST"])(per_account(view))


def rotate_session() -> None:
    """Give the browser a new, empty session, so an id known before sign-in is worthless after."""
    interface = current_app.session_interface
    if hasattr(interface, "regenerate"):
        interface.regenerate(session)
    session.clear()


def sign_in(user: User) -> None:
    """Start a fresh session for the user."""
    rotate_session()
    login_user(user)


def show_errors(form: FlaskForm, errors: dict[str, list[str]]) -> None:
    """Attach a service's InvalidInput messages to the form fields they concern."""
    for name, messages in errors.items():
        field = form[name]
        field.errors = [*field.errors, *messages]


def page(template: str, failed: bool = False, **context):
    """Render an account page; a rejected submission gets 422 so it is not mistaken for success."""
    return render_template(template, **context), INVALID_SUBMISSION if failed else 200


def next_path() -> str | None:
    """The `next` query argument, only when it is a same-site path."""
    return safe_next_path(request.args.get("next"))


@bp.route("/login", methods=["GET", "POST"])
@per_address_rate_limit
def login():
    """Sign in, then go back to the page that asked for it; failures are throttled per account
    only for the addresses they came from (see app.accounts.throttling)."""
    if current_user.is_authenticated:
        return redirect(next_path() or url_for("accounts.profile"))
    form = LoginForm()
    if form.validate_on_submit():
        account, address = account_key(form.email.data), get_remote_address()
        if wait := throttling.seconds_to_wait(account, address):
            abort(429, retry_after=wait)
        try:
            user = services.authenticate(
                db.session, email=form.email.data, password=form.password.data
            )
        except services.InvalidCredentials:
            throttling.record_failure(account, address)
            form.form_errors.append(LOGIN_FAILED)
        else:
            throttling.forget_failures(account, address)
            sign_in(user)
            flash("You are logged in.", "success")
            return redirect(next_path() or url_for("accounts.profile"), 303)
    return page("accounts/login.html", form.is_submitted(), form=form, next=next_path())


@bp.route("/register", methods=["GET", "POST"])
@sign_in_rate_limits
def register():
    """Sign up: the same answer whether or not the address has an account. A job emails the
    address a link that creates the account, or tells its owner they have one."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            registration = services.check_registration(
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                next_path=next_path(),
            )
        except services.InvalidInput as error:
            show_errors(form, error.errors)
        else:
            enqueue("jobs.accounts.register_or_notify", asdict(registration), uuid.uuid4().hex)
            return redirect(url_for("accounts.registration_sent"), 303)
    return page("accounts/register.html", form.is_submitted(), form=form, next=next_path())


@bp.get("/register/sent")
def registration_sent():
    """After signing up: look in your inbox."""
    hours = max(1, current_app.config["REGISTRATION_MAX_AGE"] // 3600)
    return render_template("accounts/registration_sent.html", hours=hours)


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
def confirm_registration(token: str):
    """The emailed link: a button creates the account and signs in (a GET changes nothing, so
    a mail scanner that opens links creates no account)."""
    store = redis_client(current_app)
    form = FlaskForm()
    try:
        registration = services.pending_registration(store, token)
        if form.validate_on_submit():
            sign_in(services.confirm_registration(db.session, store, token))
            flash("Welcome! Your account is ready.", "success")
            return redirect(registration.next_path or url_for("accounts.profile"), 303)
    except services.InvalidRegistrationLink:
        return render_template("accounts/confirm_registration.html", problem=True), 404
    return render_template(
        "accounts/confirm_registration.html", registration=registration, form=form
    )


@bp.post("/logout")
def logout():
    """Sign out and drop the session."""
    rotate_session()
    logout_user()
    flash("You are logged out.", "success")
    return redirect(url_for("catalog.home"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@sign_in_rate_limits
def forgot_password():
    """Ask for a reset link; the answer is the same, and as quick, whether or not the account
    exists: a job does the work."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
        enqueue("jobs.accounts.send_password_reset", form.email.data, uuid.uuid4().hex)
        flash(
            "If an account uses that email, we have sent it a link to choose a new password. "
            f"The link works for {max(1, max_age // 60)} minutes.",
            "success",
        )
        return redirect(url_for("accounts.login"), 303)
    return page("accounts/forgot_password.html", form.is_submitted(), form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password with the link from the email."""
    form = ResetPasswordForm()
    try:
        if form.validate_on_submit():
            services.reset_password(db.session, token=token, new_password=form.password.data)
            flash("Your password has been changed. Log in with the new one.", "success")
            return redirect(url_for("accounts.login"), 303)
        services.check_reset_token(db.session, token)
    except services.InvalidResetToken as error:
        status, message = TOKEN_PROBLEMS[error.state]
        return render_template("accounts/reset_password.html", problem=message), status
    except services.InvalidInput as error:
        show_errors(form, error.errors)
    return page("accounts/reset_password.html", form.is_submitted(), form=form, token=token)


def render_profile(
    profile_form: ProfileForm | None = None, password_form: ChangePasswordForm | None = None
):
    """The profile page with both of its forms; a form given here is the one that failed."""
    return page(
        "accounts/profile.html",
        failed=bool(profile_form or password_form),
        user=current_user,
        profile_form=profile_form
        or ProfileForm(formdata=None, prefix="profile", name=current_user.name),
        password_form=password_form or ChangePasswordForm(formdata=None, prefix="password"),
    )


@bp.get("/")
@login_required
def profile():
    """Your account: name, email, role, and the forms to change them."""
    return render_profile()


@bp.post("/profile")
@login_required
def update_profile():
    """Change your name."""
    form = ProfileForm(prefix="profile")
    if form.validate_on_submit():
        try:
            services.update_profile(db.session, current_user.id, name=form.name.data)
        except services.InvalidInput as error:
            show_errors(form, error.errors)
        else:
            flash("Your name has been saved.", "success")
            return redirect(url_for("accounts.profile"), 303)
    return render_profile(profile_form=form)


@bp.post("/password")
@login_required
def change_password():
    """Change your password; every other session is signed out."""
    form = ChangePasswordForm(prefix="password")
    if form.validate_on_submit():
        try:
            user = services.change_password(
                db.session,
                current_user.id,
                current_password=form.current_password.data,
                new_password=form.new_password.data,
            )
        except services.InvalidInput as error:
            show_errors(form, error.errors)
        else:
            sign_in(user)
            flash("Your password has been changed. Other devices have been logged out.", "success")
            return redirect(url_for("accounts.profile"), 303)
    return render_profile(password_form=form)


@bp.get("/addresses")
@login_required
def addresses():
    """Your address book."""
    return render_template(
        "accounts/addresses.html",
        addresses=services.list_addresses(db.session, current_user.id),
    )


@bp.get("/addresses/region")
def region_input():
    """The region field for the chosen country: htmx swaps it in when the country changes (the
    checkout asks with section=shipping). Guests at the checkout use it too."""
    country = request.args.get("country", "")
    region = request.args.get("region", "")[: ADDRESS_LIMITS["region"]]
    form = AddressForm(meta={"csrf": False}, data={"country": country, "region": region})
    section = "shipping" if request.args.get("section") == "shipping" else ""
    return render_template("accounts/region_field.html", form=form, section=section)


@bp.route("/addresses/new", methods=["GET", "POST"])
@login_required
def add_address():
    """Add an address to your address book."""
    form = AddressForm()
    if request.method == "GET":
        form.full_name.data = current_user.name
    if form.validate_on_submit():
        try:
            services.add_address(
                db.session, current_user.id, form.fields(), make_default=form.make_default.data
            )
        except services.InvalidInput as error:
            show_errors(form, error.errors)
        else:
            flash("The address has been added.", "success")
            return redirect(url_for("accounts.addresses"), 303)
    return page("accounts/address_form.html", form.is_submitted(), form=form, address=None)


@bp.route("/addresses/<int:address_id>", methods=["GET", "POST"])
@login_required
def edit_address(address_id: int):
    """Edit one of your addresses."""
    address = services.get_address(db.session, current_user.id, address_id)
    form = AddressForm(obj=address)
    if form.validate_on_submit():
        try:
            services.update_address(
                db.session,
                current_user.id,
                address_id,
                form.fields(),
                make_default=form.make_default.data,
            )
        except services.InvalidInput as error:
            show_errors(form, error.errors)
        else:
            flash("The address has been saved.", "success")
            return redirect(url_for("accounts.addresses"), 303)
    return page("accounts/address_form.html", form.is_submitted(), form=form, address=address)


@bp.post("/addresses/<int:address_id>/default")
@login_required
def set_default_address(address_id: int):
    """Make one of your addresses the default."""
    services.set_default_address(db.session, current_user.id, address_id)
    flash("Your default address has been changed.", "success")
    return redirect(url_for("accounts.addresses"), 303)


@bp.post("/addresses/<int:address_id>/delete")
@login_required
def delete_address(address_id: int):
    """Remove one of your addresses."""
    services.delete_address(db.session, current_user.id, address_id)
    flash("The address has been deleted.", "success")
    return redirect(url_for("accounts.addresses"), 303)
