"""A Postgres role that can read the library and nothing else.

The sidecar and the read commands (``list``, ``show``, ``search``, ``export``) need no
more than ``SELECT``; giving them the writers' credentials means a leaked sidecar
configuration can rewrite or erase the library. The role is granted ``SELECT`` on every
table, now and (through default privileges of the role that migrates) on the tables
later migrations create, and its sessions are read-only by default as a second guard.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from pydantic import SecretStr

from mumu.db.reading import DatabaseUnavailable, describe_db_error, postgres_arguments


def grant_reader(url: str, role: str, password: SecretStr | None) -> bool:
    """Make ``role`` (created with ``password`` when it does not exist; its password set
    when given) a reader of the database at ``url``; True when it was created."""
    if not url.startswith("postgresql"):
        raise DatabaseUnavailable("a reader role is for Postgres; SQLite is one file")
    try:
        return _grant(url, role, password)
    except psycopg.Error as exc:
        raise DatabaseUnavailable(describe_db_error(url, exc)) from None


def _grant(url: str, role: str, password: SecretStr | None) -> bool:
    name = sql.Identifier(role)
    with psycopg.connect(**postgres_arguments(url), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if exists is None:
            if password is None:
                raise DatabaseUnavailable(
                    f"role {role} does not exist: set MUMU_READER_PASSWORD to create it"
                )
            statement = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}")
            connection.execute(statement.format(name, sql.Literal(password.get_secret_value())))
        else:
            _refuse_a_writer(connection, role)
        if exists is not None and password is not None:
            statement = sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}")
            connection.execute(statement.format(name, sql.Literal(password.get_secret_value())))
        database = connection.execute("SELECT current_database()").fetchone()
        for grant in (
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(database[0] if database else ""), name
            ),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(name),
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(name),
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {}"
            ).format(name),
            sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(name),
        ):
            connection.execute(grant)
    return exists is None


def _refuse_a_writer(connection: psycopg.Connection[Any], role: str) -> None:
    """A role that writes is not made a reader: its sessions would turn read-only (the
    migrations and runs of the writer that asked, or a superuser's) while it keeps every
    right it has."""
    found = connection.execute(
        "SELECT rolname = current_user, rolsuper, "
        "EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tableowner = %(r)s), "
        "EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' AND "
        "has_table_privilege(%(r)s, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')) "
        "FROM pg_roles WHERE rolname = %(r)s",
        {"r": role},
    ).fetchone()
    if found is None:
        return
    is_me, is_super, owns, writes = found
    why = (
        "it is the role this command connects as"
        if is_me
        else "it is a superuser"
        if is_super
        else "it owns mumu's tables"
        if owns
        else "it may write to mumu's tables"
        if writes
        else None
    )
    if why:
        raise DatabaseUnavailable(f"role {role} is not made a reader: {why}; name a new role")
