"""Notify waiting ``GET …/wait`` requests when a process instance ends.

A row trigger on ``process_instance`` sends ``NOTIFY baton_instances, '<partition>/<id>'`` when an
instance gets its ``ended_at``; the payload lets each waiter see at once whether it was its own.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION baton_notify_instance_ended() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('baton_instances', NEW.partition::text || '/' || NEW.id::text);
            RETURN NULL;
        END;
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER process_instance_ended AFTER UPDATE ON process_instance FOR EACH ROW "
        "WHEN (OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL) EXECUTE FUNCTION baton_notify_instance_ended()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER process_instance_ended ON process_instance")
    op.execute("DROP FUNCTION baton_notify_instance_ended()")
