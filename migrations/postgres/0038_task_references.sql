-- Tasks get a short reference nurses can tell apart ("T-0042"): the task's number in
-- its tenant, from a per-tenant counter that the insert of a task advances in the
-- same transaction. Existing tasks are numbered in creation order, and each counter
-- starts after its tenant's last number.
alter table tasks add column reference_number bigint;

create table task_reference_counters (
    tenant_id    text not null primary key,
    last_number  bigint not null
);

with numbered as (
    select tenant_id, task_id,
           row_number() over (partition by tenant_id order by created_at, task_id) as n
    from tasks
)
update tasks t set reference_number = numbered.n
from numbered
where t.tenant_id = numbered.tenant_id and t.task_id = numbered.task_id;

insert into task_reference_counters (tenant_id, last_number)
select tenant_id, max(reference_number) from tasks group by tenant_id;

create unique index tasks_by_reference on tasks (tenant_id, reference_number);
