"""search: full-text index over products and the spelling vocabulary

PostgreSQL: pg_trgm, a stored generated tsvector column `products.search_vector` (name weighs A,
attribute and option values B, description C) with a GIN index, and a trigram index on
`search_terms.term`.
SQLite: an external-content FTS5 table `products_fts` over products (name, description,
search_text), kept in sync by insert/update/delete triggers.
Both: a partial index of the stock rows with a unit to sell, so the in-stock facet probes each
matching product with an index-only lookup.

Neither the column, the FTS5 table nor these indexes are declared in the models;
app.search.schema tells autogenerate to leave them alone.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

SEARCH_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, name), 'A') || "
    "setweight(to_tsvector('english'::regconfig, search_text), 'B') || "
    "setweight(to_tsvector('english'::regconfig, description), 'C')"
)

FTS_COLUMNS = "name, description, search_text"


def upgrade():
    op.create_table('search_terms',
    sa.Column('term', sa.Text(), nullable=False),
    sa.Column('documents', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('term', name=op.f('pk_search_terms'))
    )
    op.create_index(
        'ix_stock_items_in_stock', 'stock_items', ['product_id'],
        postgresql_where=sa.text('on_hand > reserved'), sqlite_where=sa.text('on_hand > reserved'),
    )
    if op.get_bind().dialect.name == 'postgresql':
        upgrade_postgresql()
    else:
        upgrade_sqlite()


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        downgrade_postgresql()
    else:
        downgrade_sqlite()
    op.drop_index('ix_stock_items_in_stock', table_name='stock_items')
    op.drop_table('search_terms')


def upgrade_postgresql():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        f"ALTER TABLE products ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({SEARCH_VECTOR}) STORED"
    )
    op.execute("CREATE INDEX ix_products_search_vector ON products USING gin (search_vector)")
    op.execute(
        "CREATE INDEX ix_search_terms_term_trgm ON search_terms USING gin (term gin_trgm_ops)"
    )


def downgrade_postgresql():
    op.execute("DROP INDEX IF EXISTS ix_search_terms_term_trgm")
    op.execute("DROP INDEX IF EXISTS ix_products_search_vector")
    op.execute("ALTER TABLE products DROP COLUMN IF EXISTS search_vector")
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")


def upgrade_sqlite():
    op.execute(
        f"CREATE VIRTUAL TABLE products_fts USING fts5({FTS_COLUMNS}, content='products', "
        "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
    )
    op.execute(
        f"""
        CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
          INSERT INTO products_fts(rowid, {FTS_COLUMNS})
          VALUES (new.id, new.name, new.description, new.search_text);
        END
        """
    )
    op.execute(
        f"""
        CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
          INSERT INTO products_fts(products_fts, rowid, {FTS_COLUMNS})
          VALUES ('delete', old.id, old.name, old.description, old.search_text);
        END
        """
    )
    op.execute(
        f"""
        CREATE TRIGGER products_fts_update AFTER UPDATE OF id, {FTS_COLUMNS} ON products BEGIN
          INSERT INTO products_fts(products_fts, rowid, {FTS_COLUMNS})
          VALUES ('delete', old.id, old.name, old.description, old.search_text);
          INSERT INTO products_fts(rowid, {FTS_COLUMNS})
          VALUES (new.id, new.name, new.description, new.search_text);
        END
        """
    )
    op.execute("INSERT INTO products_fts(products_fts) VALUES ('rebuild')")


def downgrade_sqlite():
    for trigger in ("products_fts_update", "products_fts_delete", "products_fts_insert"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS products_fts")
