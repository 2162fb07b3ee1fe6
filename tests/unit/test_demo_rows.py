"""Bulk rows of the demo seed, built without a database: shapes, ids and derived fields."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from app.catalog import rules
from app.catalog.bulk import COLUMNS, NextIds, RowBatch
from app.demo import services
from app.demo.generator import IMAGES_PER_LEAF, draft_products
from app.demo.services import CatalogPlan
from app.demo.wordlists import DEPARTMENTS
from app.media.services import StoredImage

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
LEAVES = [leaf for department in DEPARTMENTS for leaf in department.leaves]


@pytest.fixture()
def plan() -> CatalogPlan:
    return CatalogPlan(
        category_ids={leaf.name: number for number, leaf in enumerate(LEAVES, start=100)},
        root_category_ids={
            department.name: number for number, department in enumerate(DEPARTMENTS, start=1)
        },
        merchants_by_department={department.name: [7, 8] for department in DEPARTMENTS},
        pool={
            leaf.name: [StoredImage(f"{slot:032x}", 960, 960) for slot in range(IMAGES_PER_LEAF)]
            for leaf in LEAVES
        },
        currency="EUR",
        now=NOW,
    )


@pytest.fixture()
def built(plan):
    rng = random.Random(11)
    drafts = list(draft_products(rng, 50))
    next_ids = NextIds(
        product=501, variant=1001, option=2001, attribute=3001, image=4001, ledger=5001
    )
    return drafts, services.build_rows(rng, drafts, plan, next_ids), next_ids


def test_columns_name_every_required_column_of_their_table():
    tables = {table.name: table for table, _ in RowBatch().tables()}

    assert set(COLUMNS) == set(tables)
    for name, columns in COLUMNS.items():
        table_columns = {column.name for column in tables[name].columns}
        required = {
            column.name
            for column in tables[name].columns
            if not column.nullable and column.default is None and column.server_default is None
        }
        assert set(columns) <= table_columns
        assert required <= set(columns)


def test_rows_have_a_value_for_every_column(built):
    _, batch, _ = built

    for table, rows in batch.tables():
        assert rows
        assert {len(row) for row in rows} == {len(COLUMNS[table.name])}


def test_ids_continue_from_the_next_free_ids_and_advance_them(built):
    drafts, batch, next_ids = built
    variants = sum(len(draft.variants) for draft in drafts)

    assert [row[0] for row in batch.products] == list(range(501, 551))
    assert [row[0] for row in batch.variants] == list(range(1001, 1001 + variants))
    assert next_ids.product == 551
    assert next_ids.variant == 1001 + variants
    assert next_ids.option == 2001 + len(batch.options)
    assert next_ids.attribute == 3001 + len(batch.attributes)
    assert next_ids.image == 4001 + len(batch.images)
    assert next_ids.ledger == 5001 + len(batch.ledger)


def test_products_follow_the_catalog_rules(built, plan):
    drafts, batch, _ = built
    column = {name: index for index, name in enumerate(COLUMNS["products"])}

    for draft, row in zip(drafts, batch.products, strict=True):
        assert row[column["slug"]] == f"{rules.slugify(draft.name)}-{row[column['id']]}"
        assert row[column["price_amount"]] == min(v.price_amount for v in draft.variants)
        options = [pair for variant in draft.variants for pair in variant.options]
        categories = (draft.department.name, draft.leaf.name)
        assert row[column["search_text"]] == rules.search_text(
            draft.attributes, options, categories
        )
        assert row[column["root_category_id"]] == plan.root_category_ids[draft.department.name]
        assert row[column["currency"]] == "EUR"
        assert row[column["merchant_id"]] in {7, 8}
        assert row[column["created_at"]] == NOW - timedelta(seconds=draft.age_seconds)


def test_one_stock_row_and_one_import_ledger_row_per_variant(built):
    _, batch, _ = built
    stock = {row[0]: row[2] for row in batch.stock}
    ledger = {row[1]: (row[2], row[4]) for row in batch.ledger}

    assert set(stock) == set(ledger) == {row[0] for row in batch.variants}
    assert all(ledger[variant] == (on_hand, "import") for variant, on_hand in stock.items())


def test_images_point_at_the_pool_with_numbered_alt_text(built, plan):
    drafts, batch, _ = built
    keys = {picture.storage_key for pictures in plan.pool.values() for picture in pictures}

    assert len(batch.images) == sum(len(draft.image_slots) for draft in drafts)
    assert {row[3] for row in batch.images} <= keys
    first = drafts[0]
    assert [row[4] for row in batch.images[: len(first.image_slots)]] == [
        f"{first.name} — view {number}" for number in range(1, len(first.image_slots) + 1)
    ]
