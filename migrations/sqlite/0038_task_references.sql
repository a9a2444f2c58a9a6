-- Tasks get a short reference nurses can tell apart ("T-0042"): the task's number in
-- its tenant, from a per-tenant counter that the insert of a task advances in the
-- same transaction. Existing tasks are numbered in creation order, and each counter
-- starts after its tenant's last number. SQLite dialect.
alter table tasks add column reference_number integer;

create table task_reference_counters (
    tenant_id    text not null primary key,
    last_number  integer not null
);

update tasks set reference_number = (
    select count(*) from tasks earlier
    where earlier.tenant_id = tasks.tenant_id
      and (earlier.created_at < tasks.created_at
           or (earlier.created_at = tasks.created_at and earlier.task_id <= tasks.task_id))
);

insert into task_reference_counters (tenant_id, last_number)
select tenant_id, max(reference_number) from tasks group by tenant_id;

create unique index tasks_by_reference on tasks (tenant_id, reference_number);
