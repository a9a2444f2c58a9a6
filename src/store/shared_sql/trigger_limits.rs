//! Trigger limits, written once for both SQL backends. Each decision runs in one
//! transaction on the writer; `lock` is the statement that serialises decisions on
//! one key (an advisory lock on PostgreSQL; SQLite's single writer needs none).

/// Implements the trigger limit store for a backend.
macro_rules! trigger_limit_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident, lock: $lock:expr) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use uuid::Uuid;

        use $crate::store::{
            LimitDecision, LimitKind, LimitRequest, SkippedTrigger, StoreResult, TenantId,
            TriggerLimitStore,
        };

        /// Decisions are kept this long past their period, so a router that repeats
        /// events after a crash finds them.
        const KEEP_MS: i64 = 3_600_000;

        fn to_time(ms: i64) -> DateTime<Utc> {
            DateTime::from_timestamp_millis(ms).unwrap_or_default()
        }

        #[async_trait]
        impl TriggerLimitStore for $store {
            async fn take_trigger_slot(
                &self,
                req: &LimitRequest<'_>,
            ) -> StoreResult<LimitDecision> {
                let kind = req.kind.as_str();
                let event = req.event_id.to_string();
                let at = req.at.timestamp_millis();
                let period = req.period.num_milliseconds().max(1);
                let mut tx = self.$writer.begin().await?;
                let lock: &str = $lock;
                if !lock.is_empty() {
                    sqlx::query(lock)
                        .bind(format!(
                            "{}\u{1f}{}\u{1f}{kind}\u{1f}{}",
                            req.tenant, req.function, req.key
                        ))
                        .execute(&mut *tx)
                        .await?;
                }
                let earlier: Option<(i64, bool)> = sqlx::query_as(
                    "select at_ms, admitted from trigger_limit_marks
                     where tenant_id = $1 and function = $2 and limit_kind = $3 and event_id = $4",
                )
                .bind(req.tenant)
                .bind(req.function)
                .bind(kind)
                .bind(&event)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((at_ms, admitted)) = earlier {
                    tx.commit().await?;
                    return Ok(if admitted {
                        LimitDecision::Start(to_time(at_ms))
                    } else {
                        LimitDecision::Skip { first: false }
                    });
                }
                sqlx::query(
                    "delete from trigger_limit_marks
                     where tenant_id = $1 and function = $2 and limit_kind = $3
                       and limit_key = $4 and at_ms < $5",
                )
                .bind(req.tenant)
                .bind(req.function)
                .bind(kind)
                .bind(req.key)
                .bind(at - period - KEEP_MS)
                .execute(&mut *tx)
                .await?;
                let (start, admitted) = match req.kind {
                    LimitKind::Throttle => {
                        // Starts are handed out in order, so the `limit`-th latest
                        // one bounds the window: the new start waits until it has
                        // left the period.
                        let kth: Option<i64> = sqlx::query_scalar(
                            "select at_ms from trigger_limit_marks
                             where tenant_id = $1 and function = $2 and limit_kind = $3
                               and limit_key = $4 and admitted
                             order by at_ms desc limit 1 offset $5",
                        )
                        .bind(req.tenant)
                        .bind(req.function)
                        .bind(kind)
                        .bind(req.key)
                        .bind(i64::from(req.limit) - 1)
                        .fetch_optional(&mut *tx)
                        .await?;
                        (kth.map_or(at, |k| at.max(k + period)), true)
                    }
                    _ => {
                        let admitted_within: i64 = sqlx::query_scalar(
                            "select count(*) from trigger_limit_marks
                             where tenant_id = $1 and function = $2 and limit_kind = $3
                               and limit_key = $4 and admitted and at_ms > $5",
                        )
                        .bind(req.tenant)
                        .bind(req.function)
                        .bind(kind)
                        .bind(req.key)
                        .bind(at - period)
                        .fetch_one(&mut *tx)
                        .await?;
                        (at, admitted_within < i64::from(req.limit))
                    }
                };
                sqlx::query(
                    "insert into trigger_limit_marks
                         (tenant_id, function, limit_kind, event_id, limit_key, at_ms, admitted)
                     values ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(req.tenant)
                .bind(req.function)
                .bind(kind)
                .bind(&event)
                .bind(req.key)
                .bind(start)
                .bind(admitted)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(if admitted {
                    LimitDecision::Start(to_time(start))
                } else {
                    LimitDecision::Skip { first: true }
                })
            }

            async fn record_trigger_refusal(
                &self,
                tenant: &TenantId,
                function: &str,
                event_id: Uuid,
                at: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let done = sqlx::query(
                    "insert into trigger_limit_marks
                         (tenant_id, function, limit_kind, event_id, limit_key, at_ms, admitted)
                     values ($1, $2, $3, $4, '_', $5, false)
                     on conflict do nothing",
                )
                .bind(tenant)
                .bind(function)
                .bind(LimitKind::Admission.as_str())
                .bind(event_id.to_string())
                .bind(at.timestamp_millis())
                .execute(&self.$writer)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn skipped_triggers(
                &self,
                tenant: &TenantId,
                events: &[Uuid],
            ) -> StoreResult<Vec<SkippedTrigger>> {
                let mut out = Vec::new();
                // Batches are small (one request's events).
                for id in events {
                    let rows: Vec<(String, String)> = sqlx::query_as(
                        "select function, limit_kind from trigger_limit_marks
                         where tenant_id = $1 and event_id = $2 and not admitted
                         order by function",
                    )
                    .bind(tenant)
                    .bind(id.to_string())
                    .fetch_all(&self.$reader)
                    .await?;
                    out.extend(rows.into_iter().map(|(function, reason)| SkippedTrigger {
                        event_id: *id,
                        function,
                        reason,
                    }));
                }
                Ok(out)
            }
        }
    };
}

pub(crate) use trigger_limit_store;
