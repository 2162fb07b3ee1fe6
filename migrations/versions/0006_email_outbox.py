"""email outbox: every email a row, sent once by a job that marks it sent

An email is written in the same transaction as the change (or the event handler) that caused it,
under an idempotency key that is unique; the send job claims the row (pending -> sending, with a
lease), sends it and marks it sent, or records the error and schedules a retry with backoff.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox_emails',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=200), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('template', sa.String(length=60), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('context', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('provider_message_id', sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_emails')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_emails_idempotency_key')),
    )
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_emails_due', ['state', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_emails_due')

    op.drop_table('outbox_emails')
