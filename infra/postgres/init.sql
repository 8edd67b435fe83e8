-- The Prefect server keeps its own database beside mumu's; it needs pg_trgm.
CREATE DATABASE prefect OWNER mumu;
\connect prefect
CREATE EXTENSION IF NOT EXISTS pg_trgm;
