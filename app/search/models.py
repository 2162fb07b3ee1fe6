"""Search: the vocabulary that spelling corrections are chosen from."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.database import db


class SearchTerm(db.Model):
    """A word that appears in visible products, with the number of products it appears in.

    Filled by `app.search.services.refresh_vocabulary`; on PostgreSQL a trigram index (made by the
    0002 migration, not declared here) finds near spellings.
    """

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    documents: Mapped[int] = mapped_column(default=0)
