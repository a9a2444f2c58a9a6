-- Event positions are never given twice, even after the events holding them are
-- deleted. Nothing to do on SQLite: `events.position` is an autoincrement key, which
-- never gives a deleted number again. (PostgreSQL keeps a floor under its sequencer.)
select 1;
