"""Account services: sign-up, sign-in, sessions, password reset, profile and address book."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import redis
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.addresses import InvalidAddress, normalized_address
from app.accounts.models import Address, PasswordResetToken, Role, User
from app.accounts.passwords import (
    hash_password,
    needs_rehash,
    spend_verification_time,
    verify_password,
)
from app.accounts.rules import (
    NAME_MAX,
    AddressFields,
    InvalidEmail,
    TokenState,
    new_reset_token,
    normalize_email,
    password_problems,
    token_digest,
    token_state,
)
from app.database import utcnow
from app.notifications.dispatch import queue_email
from app.notifications.messages import EmailRequest

EMAIL_TAKEN = "An account with this email already exists. Log in or reset your password."
PENDING_REGISTRATION = "registration:"


class AccountError(Exception):
    """Base class of the accounts context's domain errors."""


class InvalidInput(AccountError):
    """Submitted data breaks the rules; `errors` lists every problem by field name."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(message for messages in errors.values() for message in messages))
        self.errors = errors


class InvalidCredentials(AccountError):
    """Wrong email or password (deliberately not saying which)."""


class InvalidResetToken(AccountError):
    """The reset token is unknown, expired or already used."""

    def __init__(self, state: TokenState):
        super().__init__(f"reset token is {state}")
        self.state = state


class InvalidRegistrationLink(AccountError):
    """The link to finish signing up is unknown, expired, already used, or its email was taken
    meanwhile."""


class AddressNotFound(AccountError):
    """No such address in this user's address book."""


def find_user(session: Session, email: str) -> User | None:
    """The user with this email (any case, surrounding spaces ignored), if any."""
    try:
        normalized = normalize_email(email)
    except InvalidEmail:
        return None
    return session.scalar(sa.select(User).where(User.email == normalized))


def _sign_up_problems(email: str, password: str, name: str) -> tuple[str, str, dict]:
    """The normalised email and name, and every problem with the three fields by field name."""
    errors: dict[str, list[str]] = {}
    try:
        email = normalize_email(email)
    except InvalidEmail as error:
        errors["email"] = [str(error)]
    name = name.strip()
    if not name:
        errors["name"] = ["Enter your name."]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"Use at most {NAME_MAX} characters."]
    if problems := password_problems(password, email=email):
        errors["password"] = problems
    return email, name, errors


def register_user(
    session: Session, *, email: str, password: str, name: str, role: Role = Role.CUSTOMER
) -> User:
    """Create an account; raises InvalidInput listing every problem (including a taken email)."""
    email, name, errors = _sign_up_problems(email, password, name)
    if "email" not in errors and session.scalar(sa.select(User.id).where(User.email == email)):
        errors["email"] = [EMAIL_TAKEN]
    if errors:
        raise InvalidInput(errors)
    user = User(email=email, name=name, password_hash=hash_password(password), role=role)
    session.add(user)
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise InvalidInput({"email": [EMAIL_TAKEN]}) from error
    return user


@dataclass(frozen=True)
class Registration:
    """A sign-up waiting for its owner to open the link emailed to the address: the account is
    only created then, so the sign-up form never tells whether an address has an account."""

    email: str
    name: str
    password_hash: str
    next_path: str | None = None


def check_registration(
    *, email: str, password: str, name: str, next_path: str | None = None
) -> Registration:
    """The checked sign-up, its password hashed. No database is read, so it takes as long
    whether or not the address has an account; raises InvalidInput listing every problem."""
    email, name, errors = _sign_up_problems(email, password, name)
    if errors:
        raise InvalidInput(errors)
    return Registration(email, name, hash_password(password), next_path)


@dataclass(frozen=True)
class RegistrationLinks:
    """Where sign-up emails point: the link that finishes a sign-up (given its token), and for
    an address that has an account already, the log-in and password-reset pages."""

    confirm: Callable[[str], str]
    login: str
    reset: str


def register_or_notify(
    session: Session,
    store: redis.Redis,
    registration: Registration,
    *,
    key: str,
    max_age_seconds: int,
    links: RegistrationLinks,
) -> None:
    """Email the address a link that finishes the sign-up or, when it has an account, tell its
    owner so (nobody else learns it). `key` names the sign-up attempt: run twice, it emails once.
    """
    user = session.scalar(sa.select(User).where(User.email == registration.email))
    if user is not None:
        email = EmailRequest(
            template="account_exists",
            to=user.email,
            subject="You already have an account",
            context={"name": user.name, "login_url": links.login, "reset_url": links.reset},
        )
        _send_once(session, email, key=f"account-exists:{key}")
        return
    token, digest = new_reset_token()
    store.set(PENDING_REGISTRATION + digest, json.dumps(asdict(registration)), ex=max_age_seconds)
    email = EmailRequest(
        template="confirm_registration",
        to=registration.email,
        subject="Finish creating your account",
        context={
            "name": registration.name,
            "confirm_url": links.confirm(token),
            "expires_hours": max(1, max_age_seconds // 3600),
        },
    )
    if not _send_once(session, email, key=f"registration:{key}"):
        store.delete(PENDING_REGISTRATION + digest)


def _send_once(session: Session, email: EmailRequest, *, key: str) -> bool:
    """Queue the email and commit; False, keeping nothing, when `key` was emailed already."""
    if queue_email(session, email, key=key) is None:
        session.rollback()
        return False
    session.commit()
    return True


def pending_registration(store: redis.Redis, token: str) -> Registration:
    """The sign-up a link's token finishes; InvalidRegistrationLink when there is none."""
    stored = store.get(PENDING_REGISTRATION + token_digest(token))
    if stored is None:
        raise InvalidRegistrationLink()
    return Registration(**json.loads(stored))


def confirm_registration(session: Session, store: redis.Redis, token: str) -> User:
    """Create the account of a pending sign-up; its link works once."""
    stored = store.getdel(PENDING_REGISTRATION + token_digest(token))
    if stored is None:
        raise InvalidRegistrationLink()
    registration = Registration(**json.loads(stored))
    user = User(
        email=registration.email,
        name=registration.name,
        password_hash=registration.password_hash,
        role=Role.CUSTOMER,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise InvalidRegistrationLink() from error
    return user


def authenticate(session: Session, *, email: str, password: str) -> User:
    """The user these credentials belong to, with last_login_at set (and the hash upgraded)."""
    user = find_user(session, email)
    if user is None:
        spend_verification_time(password)
        raise InvalidCredentials()
    if not verify_password(user.password_hash, password) or not user.active:
        raise InvalidCredentials()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.commit()
    return user


def user_for_session(session: Session, identity: str) -> User | None:
    """The active user a session identity ("id:session_version") names, None if it is stale."""
    user_id, _, version = identity.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def promote_to_admin(session: Session, user_id: int) -> bool:
    """Give a user the admin role; False when they already had it."""
    user = session.get_one(User, user_id)
    if user.role == Role.ADMIN:
        return False
    user.role = Role.ADMIN
    session.commit()
    return True


def update_profile(session: Session, user_id: int, *, name: str) -> User:
    """Change the user's display name."""
    name = name.strip()
    if not name:
        raise InvalidInput({"name": ["Enter your name."]})
    if len(name) > NAME_MAX:
        raise InvalidInput({"name": [f"Use at most {NAME_MAX} characters."]})
    user = session.get_one(User, user_id)
    user.name = name
    session.commit()
    return user


def change_password(
    session: Session, user_id: int, *, current_password: str, new_password: str
) -> User:
    """Set a new password after checking the current one; signs out the user's other sessions."""
    user = session.get_one(User, user_id)
    errors: dict[str, list[str]] = {}
    if not verify_password(user.password_hash, current_password):
        errors["current_password"] = ["That is not your current password."]
    if problems := password_problems(new_password, email=user.email):
        errors["new_password"] = problems
    if errors:
        raise InvalidInput(errors)
    set_password(user, new_password)
    session.commit()
    return user


def set_password(user: User, password: str) -> None:
    """Store a new hash and bump the session version, so every existing session ends."""
    user.password_hash = hash_password(password)
    user.session_version += 1


def request_password_reset(
    session: Session,
    *,
    email: str,
    max_age_seconds: int,
    reset_url: Callable[[str], str],
    key: str,
) -> None:
    """If an active account has this email, store a reset token and queue the email with its
    link in the same commit. Run it in a job: the request that asks then takes as long whether
    or not the account exists. `key` names that request: run twice, it keeps one token and
    sends one email.
    """
    user = find_user(session, email)
    if user is None or not user.active:
        return
    token, digest = new_reset_token()
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_digest=digest,
            expires_at=utcnow() + timedelta(seconds=max_age_seconds),
        )
    )
    email = EmailRequest(
        template="password_reset",
        to=user.email,
        subject="Reset your password",
        context={
            "name": user.name,
            "reset_url": reset_url(token),
            "expires_minutes": max(1, max_age_seconds // 60),
        },
    )
    _send_once(session, email, key=f"password-reset:{key}")


def _usable_reset_token(session: Session, token: str, now: datetime) -> PasswordResetToken:
    row = session.scalar(
        sa.select(PasswordResetToken).where(PasswordResetToken.token_digest == token_digest(token))
    )
    state = token_state(row.expires_at if row else None, row.used_at if row else None, now)
    if row is None or state != TokenState.VALID:
        raise InvalidResetToken(state)
    return row


def check_reset_token(session: Session, token: str) -> None:
    """Raise InvalidResetToken unless the token can still be used."""
    _usable_reset_token(session, token, utcnow())


def reset_password(session: Session, *, token: str, new_password: str) -> User:
    """Use a reset token once: set the password, end every session, void the user's other tokens."""
    now = utcnow()
    row = _usable_reset_token(session, token, now)
    user = session.get_one(User, row.user_id)
    if problems := password_problems(new_password, email=user.email):
        raise InvalidInput({"password": problems})
    claimed = session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        session.rollback()
        raise InvalidResetToken(TokenState.USED)
    session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    set_password(user, new_password)
    session.commit()
    return user


def list_addresses(session: Session, user_id: int) -> list[Address]:
    """The user's address book, default address first."""
    return list(
        session.scalars(
            sa.select(Address)
            .where(Address.user_id == user_id)
            .order_by(Address.is_default.desc(), Address.id)
        )
    )


def get_address(session: Session, user_id: int, address_id: int) -> Address:
    """One of the user's own addresses; AddressNotFound for anyone else's."""
    address = session.scalar(
        sa.select(Address).where(Address.id == address_id, Address.user_id == user_id)
    )
    if address is None:
        raise AddressNotFound(address_id)
    return address


def _validated(fields: AddressFields) -> AddressFields:
    try:
        return normalized_address(fields)
    except InvalidAddress as error:
        raise InvalidInput(error.problems) from error


def _assign(address: Address, fields: AddressFields) -> None:
    for name, value in vars(fields).items():
        setattr(address, name, value)


def _make_default(session: Session, address: Address) -> None:
    session.execute(
        sa.update(Address)
        .where(Address.user_id == address.user_id, Address.id != address.id)
        .values(is_default=False)
    )
    address.is_default = True


def add_address(
    session: Session, user_id: int, fields: AddressFields, *, make_default: bool = False
) -> Address:
    """Add an address; the first one (or one asked for) becomes the default."""
    cleaned = _validated(fields)
    has_default = session.scalar(
        sa.select(Address.id).where(Address.user_id == user_id, Address.is_default).limit(1)
    )
    address = Address(user_id=user_id)
    _assign(address, cleaned)
    session.add(address)
    session.flush()
    if make_default or has_default is None:
        _make_default(session, address)
    session.commit()
    return address


def update_address(
    session: Session,
    user_id: int,
    address_id: int,
    fields: AddressFields,
    *,
    make_default: bool = False,
) -> Address:
    """Edit one of the user's addresses."""
    address = get_address(session, user_id, address_id)
    _assign(address, _validated(fields))
    if make_default:
        _make_default(session, address)
    session.commit()
    return address


def set_default_address(session: Session, user_id: int, address_id: int) -> Address:
    """Make one of the user's addresses the default (and no other)."""
    address = get_address(session, user_id, address_id)
    _make_default(session, address)
    session.commit()
    return address


def delete_address(session: Session, user_id: int, address_id: int) -> None:
    """Remove one of the user's addresses; if it was the default, the oldest left takes over."""
    address = get_address(session, user_id, address_id)
    was_default = address.is_default
    session.delete(address)
    session.flush()
    if was_default:
        successor = session.scalar(
            sa.select(Address).where(Address.user_id == user_id).order_by(Address.id).limit(1)
        )
        if successor is not None:
            successor.is_default = True
    session.commit()
