"""merchant portal: applications, staff invites, per-merchant SKUs, stock versions, imports

- `merchant_applications` ("Sell with us", decided by an admin) and `staff_invites` (an owner's
  signed, expiring invitation); `merchants.suspension_reason` says a suspended shop why.
- `product_variants.merchant_id` (filled from the product) makes a SKU unique per merchant
  instead of platform-wide; `compare_at_amount` is the struck-through "was" price.
- `product_images.resized_at`: when the job made the image's resized copies.
- `stock_items.version` refuses an edit made on stale figures; `low_stock_alerted` keeps the
  low-stock email to one per crossing; `stock_ledger.note` holds a bulk adjustment's reason.
- `catalog_imports` and `catalog_import_rows`: a CSV import, its progress and its report.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 12:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    create_merchant_tables()
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspension_reason', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('product_variants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merchant_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('compare_at_amount', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE product_variants SET merchant_id = "
        "(SELECT products.merchant_id FROM products WHERE products.id = product_variants.product_id)"
    )
    with op.batch_alter_table('product_variants', schema=None) as batch_op:
        batch_op.alter_column('merchant_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('uq_product_variants_sku', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_product_variants_merchant_id'), ['merchant_id', 'sku'])
        batch_op.create_foreign_key(
            batch_op.f('fk_product_variants_merchant_id_merchants'), 'merchants', ['merchant_id'], ['id'],
            ondelete='CASCADE',
        )
    with op.batch_alter_table('product_images', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resized_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('stock_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('low_stock_alerted', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('stock_ledger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.String(length=200), server_default='', nullable=False))
    create_import_tables()


def create_merchant_tables():
    op.create_table(
        'merchant_applications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('applicant_id', sa.Integer(), nullable=False),
        sa.Column('shop_name', sa.String(length=120), nullable=False),
        sa.Column('contact_name', sa.String(length=120), nullable=False),
        sa.Column('contact_email', sa.String(length=254), nullable=False),
        sa.Column('phone', sa.String(length=40), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('decision_reason', sa.Text(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('merchant_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['applicant_id'], ['users.id'], name=op.f('fk_merchant_applications_applicant_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_merchant_applications_decided_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_merchant_applications_merchant_id_merchants'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant_applications')),
    )
    with op.batch_alter_table('merchant_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_merchant_applications_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_merchant_applications_status'), ['status'], unique=False)
    op.create_table(
        'staff_invites',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('merchant_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_staff_invites_invited_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_staff_invites_merchant_id_merchants'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_invites')),
    )
    with op.batch_alter_table('staff_invites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_invites_merchant_id'), ['merchant_id'], unique=False)


def create_import_tables():
    op.create_table(
        'catalog_imports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('merchant_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('total_rows', sa.Integer(), nullable=False),
        sa.Column('processed_rows', sa.Integer(), nullable=False),
        sa.Column('created_count', sa.Integer(), nullable=False),
        sa.Column('updated_count', sa.Integer(), nullable=False),
        sa.Column('unchanged_count', sa.Integer(), nullable=False),
        sa.Column('rejected_count', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_catalog_imports_merchant_id_merchants'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_catalog_imports_user_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_imports')),
    )
    with op.batch_alter_table('catalog_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_imports_merchant_id'), ['merchant_id'], unique=False)
    op.create_table(
        'catalog_import_rows',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.Column('sku', sa.String(length=64), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['import_id'], ['catalog_imports.id'], name=op.f('fk_catalog_import_rows_import_id_catalog_imports'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_import_rows')),
    )
    with op.batch_alter_table('catalog_import_rows', schema=None) as batch_op:
        batch_op.create_index('ix_catalog_import_rows_import_line', ['import_id', 'line'], unique=False)


def downgrade():
    op.drop_table('catalog_import_rows')
    op.drop_table('catalog_imports')
    with op.batch_alter_table('stock_ledger', schema=None) as batch_op:
        batch_op.drop_column('note')
    with op.batch_alter_table('stock_items', schema=None) as batch_op:
        batch_op.drop_column('low_stock_alerted')
        batch_op.drop_column('version')
    with op.batch_alter_table('product_images', schema=None) as batch_op:
        batch_op.drop_column('resized_at')
    with op.batch_alter_table('product_variants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_product_variants_merchant_id_merchants'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_product_variants_merchant_id'), type_='unique')
        batch_op.create_unique_constraint('uq_product_variants_sku', ['sku'])
        batch_op.drop_column('compare_at_amount')
        batch_op.drop_column('merchant_id')
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.drop_column('suspension_reason')
    op.drop_table('staff_invites')
    op.drop_table('merchant_applications')
