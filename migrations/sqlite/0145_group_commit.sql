-- PostgreSQL writes the step commits of several runs in one statement (see the
-- PostgreSQL migration of the same number). SQLite has one writer: its commits
-- stay one transaction each.
select 1;
