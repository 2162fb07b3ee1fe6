"""Platform tables: the outbox of domain events and the markers of handlers that applied them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.database import db, utcnow


class OutboxEvent(db.Model):
    """A domain event, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox_events"
    __table_args__ = (sa.Index("ix_outbox_events_pending", "delivered_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")


class ProcessedEvent(db.Model):
    """One handler has applied one event: the marker that makes redelivery change nothing."""

    __tablename__ = "processed_events"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outbox_events.id", ondelete="CASCADE"), primary_key=True
    )
    handler: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)
