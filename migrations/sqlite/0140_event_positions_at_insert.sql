-- Events get their position when they are inserted. Nothing to do on SQLite: with one
-- writer the autoincrement row id already is the position, given at insert.
-- (PostgreSQL derives it from the transaction id; see its migration.)
select 1;
