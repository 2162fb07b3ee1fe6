"""The email outbox: every email is a row, written in the transaction that caused it."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.database import db, utcnow


class EmailState(enum.StrEnum):
    """Where an email is: waiting (or waiting to be retried), being sent, sent, or given up."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxEmail(db.Model):
    """One email to one recipient, sent once by the send job (see app.notifications.dispatch).

    `next_attempt_at` is when the row is next looked at: for a pending row, when the relay may hand
    it to the queue (again); for a row being sent, when the sender's lease runs out.
    """

    __tablename__ = "outbox_emails"
    __table_args__ = (sa.Index("ix_outbox_emails_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    template: Mapped[str] = mapped_column(sa.String(60))
    subject: Mapped[str] = mapped_column(sa.String(300))
    context: Mapped[dict] = mapped_column(sa.JSON)
    state: Mapped[str] = mapped_column(sa.String(10), default=EmailState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    provider_message_id: Mapped[str] = mapped_column(sa.String(255), default="")
