-- PostgreSQL's event horizon became cheaper to compute (see the PostgreSQL migration
-- of the same number). SQLite has no horizon: its row ids are commit-ordered.
select 1;
