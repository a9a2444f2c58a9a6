//! The storage of tenants' Twilio numbers, inbound routing and unrouted replies,
//! written once for both SQL backends.

/// Columns of `TwilioNumberRow`.
pub(crate) const NUMBER_COLUMNS: &str =
    "tenant_id, number_id, phone_number, messaging_service_sid, created_at";

/// Implements the routing store for a backend: the same statements on either, writes
/// on the `writer` pool and reads on the `reader` pool. The invoking module provides
/// `super::append_in` where events are appended.
macro_rules! routing_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident) => {
        use async_trait::async_trait;
        use uuid::Uuid;

        use super::append_in;
        use $crate::store::shared_sql::routing::NUMBER_COLUMNS;
        use $crate::store::{
            InboundCandidateRow, NewUnroutedReply, Notice, RoutingStore, StoreResult, TenantId,
            TwilioNumberRow, UnroutedCandidate, UnroutedForTenant,
        };

        #[async_trait]
        impl RoutingStore for $store {
            async fn insert_twilio_number(
                &self,
                n: &TwilioNumberRow,
            ) -> StoreResult<TwilioNumberRow> {
                sqlx::query(
                    "insert into twilio_numbers (tenant_id, number_id, phone_number,
                                                 messaging_service_sid, created_at)
                     values ($1, $2, $3, $4, $5)",
                )
                .bind(&n.tenant_id)
                .bind(n.number_id)
                .bind(&n.phone_number)
                .bind(&n.messaging_service_sid)
                .bind(n.created_at)
                .execute(&self.$writer)
                .await?;
                Ok(n.clone())
            }

            async fn list_twilio_numbers(
                &self,
                tenant: &TenantId,
            ) -> StoreResult<Vec<TwilioNumberRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {NUMBER_COLUMNS} from twilio_numbers where tenant_id = $1
                     order by created_at, number_id"
                ))
                .bind(tenant)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn delete_twilio_number(&self, tenant: &TenantId, id: Uuid) -> StoreResult<bool> {
                let done =
                    sqlx::query("delete from twilio_numbers where tenant_id = $1 and number_id = $2")
                        .bind(tenant)
                        .bind(id)
                        .execute(&self.$writer)
                        .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn twilio_number_owner(
                &self,
                to: Option<&str>,
                messaging_service_sid: Option<&str>,
            ) -> StoreResult<Option<TwilioNumberRow>> {
                // The receiving number is the more specific of the two.
                Ok(sqlx::query_as(&format!(
                    "select {NUMBER_COLUMNS} from twilio_numbers
                     where phone_number = $1 or messaging_service_sid = $2
                     order by case when phone_number = $1 then 0 else 1 end
                     limit 1"
                ))
                .bind(to)
                .bind(messaging_service_sid)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn inbound_candidates(
                &self,
                phone: &str,
                tenant: Option<&TenantId>,
            ) -> StoreResult<Vec<InboundCandidateRow>> {
                Ok(sqlx::query_as(
                    "select p.tenant_id, p.patient_id, p.plan_id, p.status, p.created_at,
                            exists (select 1 from outreach_attempts a
                                    where a.tenant_id = p.tenant_id and a.plan_id = p.plan_id
                                      and a.status = 'AWAITING_REPLY') as awaiting_reply
                     from outreach_plans p
                     where p.phone = $1 and ($2 is null or p.tenant_id = $2)
                     order by p.created_at desc, p.plan_id desc",
                )
                .bind(phone)
                .bind(tenant)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn insert_unrouted_reply(
                &self,
                r: &NewUnroutedReply,
                candidates: &[UnroutedCandidate],
            ) -> StoreResult<bool> {
                let mut tx = self.$writer.begin().await?;
                let inserted = sqlx::query(
                    "insert into unrouted_replies (reply_id, message_sid, from_phone, to_number,
                         messaging_service_sid, body, severity, received_at)
                     values ($1, $2, $3, $4, $5, $6, $7, $8)
                     on conflict do nothing",
                )
                .bind(r.reply_id)
                .bind(&r.message_sid)
                .bind(&r.from_phone)
                .bind(&r.to_number)
                .bind(&r.messaging_service_sid)
                .bind(&r.body)
                .bind(&r.severity)
                .bind(r.received_at)
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() == 0 {
                    return Ok(false);
                }
                let mut announced = false;
                for c in candidates {
                    sqlx::query(
                        "insert into unrouted_reply_candidates (tenant_id, reply_id, patient_id,
                                                                plan_id, created_at)
                         values ($1, $2, $3, $4, $5)
                         on conflict do nothing",
                    )
                    .bind(&c.tenant_id)
                    .bind(r.reply_id)
                    .bind(&c.patient_id)
                    .bind(c.plan_id)
                    .bind(r.received_at)
                    .execute(&mut *tx)
                    .await?;
                    if !c.events.is_empty() {
                        append_in(&mut tx, &c.tenant_id, &c.events).await?;
                        announced = true;
                    }
                }
                tx.commit().await?;
                if announced {
                    self.announce_local(Notice::EventsAppended);
                }
                Ok(true)
            }

            async fn unrouted_for_tenant(
                &self,
                tenant: &TenantId,
                reply: Uuid,
                patient: &str,
            ) -> StoreResult<Option<UnroutedForTenant>> {
                Ok(sqlx::query_as(
                    "select r.reply_id, c.patient_id, r.severity, r.received_at
                     from unrouted_reply_candidates c
                     join unrouted_replies r on r.reply_id = c.reply_id
                     where c.tenant_id = $1 and c.reply_id = $2 and c.patient_id = $3",
                )
                .bind(tenant)
                .bind(reply)
                .bind(patient)
                .fetch_optional(&self.$reader)
                .await?)
            }
        }
    };
}

pub(crate) use routing_store;
