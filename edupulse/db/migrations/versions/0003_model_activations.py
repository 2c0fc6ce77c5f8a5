"""Model activation history and a single active model version

model_metadata.is_active says which version is active now; model_activations says which was
active when (activated_at, retired_at), who forced a promotion past the baseline gate and why.
A partial unique index allows at most one row with is_active true, on both backends.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    uuid_default = sa.text("uuid_generate_v4()" if pg else "(lower(hex(randomblob(16))))")
    now = sa.text("NOW()" if pg else "(strftime('%Y-%m-%d %H:%M:%f', 'now'))")
    op.create_table(
        "model_activations",
        sa.Column("id", sa.Uuid(), server_default=uuid_default, nullable=False),
        sa.Column("model_version", sa.String(length=50), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mlflow_run_id", sa.String(length=64), nullable=True),
        sa.Column("registry_version", sa.String(length=20), nullable=True),
        sa.Column("forced", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=True),
        sa.CheckConstraint(
            "retired_at IS NULL OR retired_at >= activated_at",
            name=op.f("ck_model_activations_retired_after_activated"),
        ),
        sa.ForeignKeyConstraint(
            ["model_version"],
            ["model_metadata.model_version"],
            name=op.f("fk_model_activations_model_version_model_metadata"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_activations")),
    )
    op.create_index("idx_model_activations_version", "model_activations", ["model_version"])
    op.create_index(
        "idx_model_activations_period", "model_activations", ["activated_at", "retired_at"]
    )
    op.create_index(
        "uq_model_metadata_one_active",
        "model_metadata",
        ["is_active"],
        unique=True,
        postgresql_where=sa.text("is_active"),
        sqlite_where=sa.text("is_active"),
    )


def downgrade() -> None:
    op.drop_index("uq_model_metadata_one_active", table_name="model_metadata")
    op.drop_index("idx_model_activations_period", table_name="model_activations")
    op.drop_index("idx_model_activations_version", table_name="model_activations")
    op.drop_table("model_activations")
