-- PostgreSQL writes a commit's events about one run as one row (see the PostgreSQL
-- migration of the same number). SQLite keeps a row per event: its row id is the
-- position, so a row cannot hold several, and its single writer gains little from
-- fewer rows.
select 1;
