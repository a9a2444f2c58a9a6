-- PostgreSQL's group commit carries notices (see the PostgreSQL migration of the
-- same number). SQLite has one writer and no group commit: nothing changes here.
select 1;
