"""registry: organisations, imports, representations

The catastro (DESIGN §3): organisations, import batches with their per-row report, and
representatives' requests.

Revision ID: 0002_registry
Revises: 0001_foundation
Create Date: 2026-11-21 05:31:14.983523
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_registry"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("encoding", sa.String(length=20), nullable=False),
        sa.Column("delimiter", sa.String(length=1), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("column_map", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("next_offset", sa.BigInteger(), nullable=False),
        sa.Column("next_row", sa.Integer(), nullable=False),
        sa.Column("rows_processed", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_import_batches_status_known")
        ),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_import_batches_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_import_batches_stored_name")),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rut", sa.String(length=12), nullable=False),
        sa.Column("legal_name", sa.String(length=250), nullable=False),
        sa.Column("name_folded", sa.String(length=250), nullable=False),
        sa.Column("registry_number", sa.String(length=60), nullable=True),
        sa.Column("org_type", sa.String(length=20), nullable=False),
        sa.Column("comuna_cut", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=250), nullable=True),
        sa.Column("members_count", sa.Integer(), nullable=True),
        sa.Column("board_term_start", sa.Date(), nullable=True),
        sa.Column("board_term_end", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("source_batch_id", sa.Integer(), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "org_type IN ('junta_vecinos', 'funcional', 'union_comunal', 'asociacion', 'fundacion', 'corporacion', 'otra')",
            name=op.f("ck_organisations_org_type_known"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'verified', 'suspended', 'dissolved')", name=op.f("ck_organisations_status_known")
        ),
        sa.CheckConstraint(
            "members_count IS NULL OR members_count >= 0", name=op.f("ck_organisations_members_not_negative")
        ),
        sa.ForeignKeyConstraint(["comuna_cut"], ["comunas.cut"], name=op.f("fk_organisations_comuna_cut_comunas")),
        sa.ForeignKeyConstraint(
            ["source_batch_id"], ["import_batches.id"], name=op.f("fk_organisations_source_batch_id_import_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("rut", name=op.f("uq_organisations_rut")),
    )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisations_board_term_end"), ["board_term_end"], unique=False)
        batch_op.create_index(batch_op.f("ix_organisations_comuna_cut"), ["comuna_cut"], unique=False)
        batch_op.create_index(batch_op.f("ix_organisations_status"), ["status"], unique=False)

    op.create_table(
        "import_rows",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("rut", sa.String(length=20), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('accepted', 'updated', 'unchanged', 'rejected')", name=op.f("ck_import_rows_outcome_known")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batches.id"], name=op.f("fk_import_rows_batch_id_import_batches")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_import_rows_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("batch_id", "row_number", name=op.f("pk_import_rows")),
    )
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.create_index("ix_import_rows_batch_outcome", ["batch_id", "outcome"], unique=False)
        batch_op.create_index("ix_import_rows_batch_rut", ["batch_id", "rut"], unique=False)

    op.create_table(
        "representations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.String(length=40), nullable=False),
        sa.Column("document_name", sa.String(length=255), nullable=False),
        sa.Column("document_stored", sa.String(length=80), nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'rejected', 'revoked')", name=op.f("ck_representations_status_known")
        ),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_representations_decided_by_id_users")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_representations_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_representations_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_representations")),
        sa.UniqueConstraint("document_stored", name=op.f("uq_representations_document_stored")),
    )
    with op.batch_alter_table("representations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_representations_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_representations_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_representations_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_representations_active",
            ["user_id", "organisation_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('requested', 'approved')"),
            postgresql_where=sa.text("status IN ('requested', 'approved')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("representations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_representations_active",
            sqlite_where=sa.text("status IN ('requested', 'approved')"),
            postgresql_where=sa.text("status IN ('requested', 'approved')"),
        )
        batch_op.drop_index(batch_op.f("ix_representations_user_id"))
        batch_op.drop_index(batch_op.f("ix_representations_status"))
        batch_op.drop_index(batch_op.f("ix_representations_organisation_id"))

    op.drop_table("representations")
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.drop_index("ix_import_rows_batch_rut")
        batch_op.drop_index("ix_import_rows_batch_outcome")

    op.drop_table("import_rows")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_status"))
        batch_op.drop_index(batch_op.f("ix_organisations_comuna_cut"))
        batch_op.drop_index(batch_op.f("ix_organisations_board_term_end"))

    op.drop_table("organisations")
    op.drop_table("import_batches")
