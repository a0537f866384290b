"""Notify waiting lock requests when jobs are inserted.

A statement-level trigger on the partitioned ``job`` table sends ``NOTIFY baton_jobs`` at the
commit of every transaction that inserted jobs, so long-polling ``POST /jobs/lock`` requests wake
up without any extra round trip in the inserting transaction.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION baton_notify_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('baton_jobs', '');
            RETURN NULL;
        END;
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER job_inserted AFTER INSERT ON job FOR EACH STATEMENT EXECUTE FUNCTION baton_notify_jobs()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER job_inserted ON job")
    op.execute("DROP FUNCTION baton_notify_jobs()")
