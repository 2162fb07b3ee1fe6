"""category counts: published products per category and merchant, kept by triggers

A category page shows how many products it holds. Counting them on every request cost more
PostgreSQL time than the rest of the page's statement (an index scan over every product of the
category); `category_counts` keeps the number instead, one row per category and merchant:
how many published products the merchant has in the category, its subcategories' included (a
product counts in its own category and, when that is a subcategory, in its top-level one).
The storefront adds up the rows of active merchants, so a merchant's status never touches it.

Triggers on `products` keep it exact whatever code path writes products:
- PostgreSQL: statement-level triggers over the transition tables (a bulk insert or a COPY of
  100,000 products is one grouped upsert), adding the published rows of the new image and
  taking away those of the old one. Rows are upserted in key order, so two writers never
  lock them in opposite orders. TRUNCATE of products empties the counts.
- SQLite: row-level triggers doing the same for one row.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 18:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

PUBLISHED = "status = 'published'"


def published_scopes(rows: str, sign: int) -> str:
    """(category, merchant, delta) of every published row of `rows`, in both its scopes."""
    return (
        f"SELECT category_id, merchant_id, {sign} AS delta FROM {rows} WHERE {PUBLISHED} "
        f"UNION ALL SELECT root_category_id, merchant_id, {sign} FROM {rows} "
        f"WHERE {PUBLISHED} AND root_category_id <> category_id"
    )


def apply_changes(*sources: tuple[str, int]) -> str:
    """One grouped upsert of the net change made by `sources` (transition table, sign)."""
    changes = " UNION ALL ".join(published_scopes(rows, sign) for rows, sign in sources)
    return f"""
        INSERT INTO category_counts AS counts (category_id, merchant_id, published)
        SELECT category_id, merchant_id, sum(delta) FROM ({changes}) AS changes
        GROUP BY category_id, merchant_id HAVING sum(delta) <> 0
        ORDER BY category_id, merchant_id
        ON CONFLICT (category_id, merchant_id)
        DO UPDATE SET published = counts.published + excluded.published
    """


def trigger_function(name: str, *sources: tuple[str, int]) -> str:
    return f"""
    CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {apply_changes(*sources)};
        RETURN NULL;
    END $$
    """


BACKFILL = f"""
    INSERT INTO category_counts (category_id, merchant_id, published)
    SELECT category_id, merchant_id, sum(delta)
    FROM ({published_scopes('products', 1)}) AS published
    GROUP BY category_id, merchant_id
"""

POSTGRESQL_UPGRADE = [
    trigger_function("category_counts_inserted", ("new_rows", 1)),
    trigger_function("category_counts_updated", ("new_rows", 1), ("old_rows", -1)),
    trigger_function("category_counts_deleted", ("old_rows", -1)),
    """
    CREATE FUNCTION category_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM category_counts;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER category_counts_inserted AFTER INSERT ON products
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION category_counts_inserted()
    """,
    """
    CREATE TRIGGER category_counts_updated AFTER UPDATE ON products
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION category_counts_updated()
    """,
    """
    CREATE TRIGGER category_counts_deleted AFTER DELETE ON products
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION category_counts_deleted()
    """,
    """
    CREATE TRIGGER category_counts_truncated AFTER TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION category_counts_truncated()
    """,
]

POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS category_counts_truncated ON products",
    "DROP TRIGGER IF EXISTS category_counts_deleted ON products",
    "DROP TRIGGER IF EXISTS category_counts_updated ON products",
    "DROP TRIGGER IF EXISTS category_counts_inserted ON products",
    "DROP FUNCTION IF EXISTS category_counts_truncated()",
    "DROP FUNCTION IF EXISTS category_counts_deleted()",
    "DROP FUNCTION IF EXISTS category_counts_updated()",
    "DROP FUNCTION IF EXISTS category_counts_inserted()",
]

# SQLite: `WHERE true` lets the parser tell the upsert's ON CONFLICT from a join's ON.
SQLITE_ADD = """
    INSERT INTO category_counts (category_id, merchant_id, published)
    SELECT new.category_id, new.merchant_id, 1 WHERE true
    ON CONFLICT (category_id, merchant_id) DO UPDATE SET published = published + 1;
    INSERT INTO category_counts (category_id, merchant_id, published)
    SELECT new.root_category_id, new.merchant_id, 1 WHERE new.root_category_id <> new.category_id
    ON CONFLICT (category_id, merchant_id) DO UPDATE SET published = published + 1;
"""
SQLITE_TAKE = """
    UPDATE category_counts SET published = published - 1
    WHERE merchant_id = old.merchant_id AND category_id IN (old.category_id, old.root_category_id);
"""

SQLITE_UPGRADE = [
    f"""
    CREATE TRIGGER category_counts_inserted AFTER INSERT ON products
    WHEN new.{PUBLISHED}
    BEGIN {SQLITE_ADD} END
    """,
    f"""
    CREATE TRIGGER category_counts_unpublished
    AFTER UPDATE OF status, category_id, root_category_id, merchant_id ON products
    WHEN old.{PUBLISHED}
    BEGIN {SQLITE_TAKE} END
    """,
    f"""
    CREATE TRIGGER category_counts_published
    AFTER UPDATE OF status, category_id, root_category_id, merchant_id ON products
    WHEN new.{PUBLISHED}
    BEGIN {SQLITE_ADD} END
    """,
    f"""
    CREATE TRIGGER category_counts_deleted AFTER DELETE ON products
    WHEN old.{PUBLISHED}
    BEGIN {SQLITE_TAKE} END
    """,
]

SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS category_counts_deleted",
    "DROP TRIGGER IF EXISTS category_counts_published",
    "DROP TRIGGER IF EXISTS category_counts_unpublished",
    "DROP TRIGGER IF EXISTS category_counts_inserted",
]


def upgrade():
    op.create_table(
        'category_counts',
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('merchant_id', sa.Integer(), nullable=False),
        sa.Column('published', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['category_id'], ['categories.id'],
            name=op.f('fk_category_counts_category_id_categories'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['merchant_id'], ['merchants.id'],
            name=op.f('fk_category_counts_merchant_id_merchants'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('category_id', 'merchant_id', name=op.f('pk_category_counts')),
    )
    op.execute(BACKFILL)
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for statement in POSTGRESQL_UPGRADE if postgresql else SQLITE_UPGRADE:
        op.execute(statement)


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for statement in POSTGRESQL_DOWNGRADE if postgresql else SQLITE_DOWNGRADE:
        op.execute(statement)
    op.drop_table('category_counts')
