"""The benchmark's baseline: the least a storefront page can do with the same stack.

Flask + Flask-SQLAlchemy (postgresql+psycopg) + a Jinja template showing the newest 24 published
products (name and price), fetched with one query from the storefront's own `products` table.
`benchmarks/storefront.py` serves it with gunicorn beside the real app:

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/marketplace_bench \\
        .venv/bin/gunicorn --workers 2 --worker-class sync --chdir benchmarks baseline_app:app
"""

from __future__ import annotations

import os
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, render_template
from flask_sqlalchemy import SQLAlchemy
from jinja2 import DictLoader
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

PAGE_SIZE = 24

PAGE_TEMPLATE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>New arrivals</title></head>
<body>
  <h1>New arrivals</h1>
  <ul>
    {% for product in products %}
      <li>{{ product.name }}: {{ product.price_amount|price(product.currency) }}</li>
    {% endfor %}
  </ul>
</body>
</html>
"""


class Base(DeclarativeBase):
    """Declarative base of the baseline's one model."""


db = SQLAlchemy(model_class=Base)


class Product(db.Model):
    """The columns of the storefront's `products` table that the page reads."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    price_amount: Mapped[int]
    currency: Mapped[str]
    status: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


def format_price(amount: int, currency: str) -> str:
    """`1234` USD as `USD 12.34`."""
    units, cents = divmod(amount, 100)
    return f"{currency} {units:,}.{cents:02d}"


def database_url() -> str:
    """DATABASE_URL on the psycopg 3 driver, as the storefront normalises it."""
    url = os.environ["DATABASE_URL"]
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_app() -> Flask:
    """The baseline app: one page, one query, one template."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url()
    app.jinja_loader = DictLoader({"page.html": PAGE_TEMPLATE})
    app.jinja_env.filters["price"] = format_price
    db.init_app(app)

    @app.get("/")
    def newest():
        """The 24 newest published products."""
        products = db.session.scalars(
            sa.select(Product)
            .where(Product.status == "published")
            .order_by(Product.created_at.desc(), Product.id.desc())
            .limit(PAGE_SIZE)
        ).all()
        return render_template("page.html", products=products)

    return app


app = create_app()
