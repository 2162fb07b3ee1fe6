"""search read model: one narrow row per visible product, kept current by triggers (PostgreSQL)

`search_documents` holds what a search reads of every product the storefront shows (published,
merchant active): its category, merchant, "from" price, whether a unit is for sale, when it was
added and its tsvector (a copy of `products.search_vector`: name A, attributes B, description C).
A search reads only these rows: one GIN scan finds the matches and their facet values, with no
join and no stock probe per match. A second GIN index over the name's words alone (the A-weighted
lexemes) finds the products whose name holds every searched word, which "Best match" ranks first.

Triggers keep the rows current whatever code path changes the catalogue: products (insert, and
updates of what a row copies or of what decides visibility), merchants (status) and stock_items
(a variant's "has a unit to sell" turning on or off). They are deferred constraint triggers: the
row is rewritten when the transaction commits, after every lock the transaction needed, so a
checkout never waits on a search row while it holds stock rows. A rewrite first share-locks the
product and its merchant (waiting for any transaction still changing them), then locks the search
row and reads everything afresh, so two transactions committing at once cannot leave a stale row.
Products removed go with their row (foreign key, ON DELETE CASCADE; TRUNCATE ... CASCADE too).

Matching moved here, so the GIN index on `products.search_vector` goes (the column stays: it is
what the triggers copy).

SQLite keeps FTS5 (0002): nothing changes there.

The table, its indexes, functions and triggers are not declared in the models; app.search.schema
tells autogenerate to leave them alone.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 09:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The products a search may show, and what their search rows hold.
VISIBLE_ROWS = """
    SELECT p.id AS product_id, p.category_id, p.merchant_id, p.price_amount,
           EXISTS (
               SELECT 1 FROM stock_items s WHERE s.product_id = p.id AND s.on_hand > s.reserved
           ) AS in_stock,
           p.created_at, p.search_vector AS document
    FROM products p JOIN merchants m ON m.id = p.merchant_id
    WHERE p.status = 'published' AND m.status = 'active'
"""

COLUMNS = "product_id, category_id, merchant_id, price_amount, in_stock, created_at, document"
COPIED = COLUMNS.split(", ")[1:]
UPDATES = ", ".join(f"{column} = excluded.{column}" for column in COPIED)
STORED = ", ".join(f"search_documents.{column}" for column in COPIED)
EXCLUDED = ", ".join(f"excluded.{column}" for column in COPIED)
FRESH = ", ".join(f"fresh.{column}" for column in COLUMNS.split(", "))

UPGRADE = [
    """
    CREATE TABLE search_documents (
        product_id integer NOT NULL,
        category_id integer NOT NULL,
        merchant_id integer NOT NULL,
        price_amount integer NOT NULL,
        in_stock boolean NOT NULL,
        created_at timestamp with time zone NOT NULL,
        document tsvector NOT NULL,
        CONSTRAINT pk_search_documents PRIMARY KEY (product_id),
        CONSTRAINT fk_search_documents_product_id_products FOREIGN KEY (product_id)
            REFERENCES products (id) ON DELETE CASCADE
    ) WITH (fillfactor = 90)
    """,
    f"INSERT INTO search_documents ({COLUMNS}) {VISIBLE_ROWS}",
    "CREATE INDEX ix_search_documents_document ON search_documents USING gin (document)",
    "CREATE INDEX ix_search_documents_name ON search_documents "
    "USING gin (ts_filter(document, '{a}'))",
    "CREATE INDEX ix_search_documents_newest ON search_documents (created_at, product_id)",
    "CREATE INDEX ix_search_documents_price ON search_documents (price_amount, product_id)",
    # The functions below only ever look rows up by key (the product, its merchant, a
    # merchant's products): SET enable_seqscan = off keeps their cached plans on the indexes
    # even when planned while a table is still believed empty (a first seed commits 100,000
    # products and their stock in one transaction, before any ANALYZE).
    #
    # One product changed: wait for whoever is still changing it or its merchant (share locks),
    # lock its search row, then rewrite the row from a fresh read: one row if the product is
    # visible, none otherwise.
    f"""
    CREATE FUNCTION search_documents_refresh(changed integer) RETURNS void
    LANGUAGE plpgsql SET enable_seqscan = off AS $$
    DECLARE
        fresh record;
    BEGIN
        PERFORM 1 FROM products p JOIN merchants m ON m.id = p.merchant_id
        WHERE p.id = changed FOR SHARE;
        PERFORM 1 FROM search_documents WHERE product_id = changed FOR UPDATE;
        SELECT * INTO fresh FROM ({VISIBLE_ROWS} AND p.id = changed) AS visible;
        IF NOT FOUND THEN
            DELETE FROM search_documents WHERE product_id = changed;
            RETURN;
        END IF;
        INSERT INTO search_documents ({COLUMNS}) VALUES ({FRESH})
        ON CONFLICT (product_id) DO UPDATE SET {UPDATES}
        WHERE ({STORED}) IS DISTINCT FROM ({EXCLUDED});
    END
    $$
    """,
    """
    CREATE FUNCTION search_documents_product_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM search_documents_refresh(NEW.id);
        RETURN NULL;
    END
    $$
    """,
    # A variant's stock turned (a unit to sell, or none left), or moved to another product.
    # Skipped for a product added by this transaction: its own refresh, queued first, reads the
    # stock as committed (a seed adds products with all their stock in one transaction).
    """
    CREATE FUNCTION search_documents_refresh_stocked(changed integer) RETURNS void
    LANGUAGE plpgsql SET enable_seqscan = off AS $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM products WHERE id = changed AND xmin = pg_current_xact_id()::xid
        ) THEN
            PERFORM search_documents_refresh(changed);
        END IF;
    END
    $$
    """,
    """
    CREATE FUNCTION search_documents_stock_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            PERFORM search_documents_refresh_stocked(OLD.product_id);
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.product_id <> OLD.product_id) THEN
            PERFORM search_documents_refresh_stocked(NEW.product_id);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    # A merchant's status changed: rewrite the rows of all its products at once.
    f"""
    CREATE FUNCTION search_documents_merchant_changed() RETURNS trigger
    LANGUAGE plpgsql SET enable_seqscan = off AS $$
    BEGIN
        PERFORM 1 FROM search_documents d JOIN products p ON p.id = d.product_id
        WHERE p.merchant_id = NEW.id ORDER BY d.product_id FOR UPDATE OF d;
        DELETE FROM search_documents d USING products p
        WHERE p.id = d.product_id AND p.merchant_id = NEW.id
          AND NOT (p.status = 'published' AND NEW.status = 'active');
        INSERT INTO search_documents ({COLUMNS})
        {VISIBLE_ROWS} AND p.merchant_id = NEW.id
        ON CONFLICT (product_id) DO UPDATE SET {UPDATES}
        WHERE ({STORED}) IS DISTINCT FROM ({EXCLUDED});
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE CONSTRAINT TRIGGER search_documents_product
    AFTER INSERT OR UPDATE OF status, merchant_id, category_id, price_amount, created_at,
        name, description, search_text
    ON products DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION search_documents_product_changed()
    """,
    """
    CREATE CONSTRAINT TRIGGER search_documents_merchant
    AFTER UPDATE OF status ON merchants DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION search_documents_merchant_changed()
    """,
    """
    CREATE CONSTRAINT TRIGGER search_documents_stock_added
    AFTER INSERT ON stock_items DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.on_hand > NEW.reserved)
    EXECUTE FUNCTION search_documents_stock_changed()
    """,
    """
    CREATE CONSTRAINT TRIGGER search_documents_stock_turned
    AFTER UPDATE ON stock_items DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (
        (OLD.on_hand > OLD.reserved) IS DISTINCT FROM (NEW.on_hand > NEW.reserved)
        OR OLD.product_id IS DISTINCT FROM NEW.product_id
    )
    EXECUTE FUNCTION search_documents_stock_changed()
    """,
    """
    CREATE CONSTRAINT TRIGGER search_documents_stock_removed
    AFTER DELETE ON stock_items DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.on_hand > OLD.reserved)
    EXECUTE FUNCTION search_documents_stock_changed()
    """,
    "DROP INDEX ix_products_search_vector",
]

DOWNGRADE = [
    "CREATE INDEX ix_products_search_vector ON products USING gin (search_vector)",
    "DROP TRIGGER IF EXISTS search_documents_stock_removed ON stock_items",
    "DROP TRIGGER IF EXISTS search_documents_stock_turned ON stock_items",
    "DROP TRIGGER IF EXISTS search_documents_stock_added ON stock_items",
    "DROP TRIGGER IF EXISTS search_documents_merchant ON merchants",
    "DROP TRIGGER IF EXISTS search_documents_product ON products",
    "DROP FUNCTION IF EXISTS search_documents_merchant_changed()",
    "DROP FUNCTION IF EXISTS search_documents_stock_changed()",
    "DROP FUNCTION IF EXISTS search_documents_refresh_stocked(integer)",
    "DROP FUNCTION IF EXISTS search_documents_product_changed()",
    "DROP FUNCTION IF EXISTS search_documents_refresh(integer)",
    "DROP TABLE IF EXISTS search_documents",
]


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for statement in UPGRADE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for statement in DOWNGRADE:
            op.execute(statement)
