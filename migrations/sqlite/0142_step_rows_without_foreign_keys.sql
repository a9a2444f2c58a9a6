-- PostgreSQL drops the foreign keys of step and attempt rows to their run (see the
-- PostgreSQL migration of the same number). SQLite keeps them: dropping one means
-- rebuilding the table, and its single writer gains little from it. Retention and
-- erasure delete the rows explicitly on both.
select 1;
