"""mumu's Alembic migrations. ``HEAD`` is the newest revision, so that a reader can
check the schema without importing Alembic; a test holds it to Alembic's own answer."""

HEAD = "0014"
