"""Alembic environment: runs on the connection mumu hands over (see mumu.db.engine)."""

from alembic import context
from sqlmodel import SQLModel

import mumu.db.models  # noqa: F401 - registers the tables on SQLModel.metadata
from mumu.db.engine import include_in_schema_comparison

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    include_name=include_in_schema_comparison,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
