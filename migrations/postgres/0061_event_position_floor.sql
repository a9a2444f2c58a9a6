-- Event positions are never given twice, even after the events holding them are deleted.

-- The sequencer numbers new events above the highest position still stored. When the
-- newest events are deleted (a run erased, events pruned), that highest position would
-- drop and numbers already seen by readers would be given again, so a reader resuming
-- "after X" would miss events. Every deletion of positioned events raises this floor
-- to the highest position it deleted, and the sequencer numbers above it.
create table event_position_floor (
    singleton  boolean primary key default true check (singleton),
    position   bigint not null
);
insert into event_position_floor (singleton, position) values (true, 0);
