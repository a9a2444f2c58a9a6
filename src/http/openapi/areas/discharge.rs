//! The discharge area's operations, schemas and tags: apart from the
//! types (`openapi::discharge`), so that handlers naming those types and this list
//! naming the handlers do not import each other.

use utoipa::OpenApi;

use crate::http::discharge::{self, records, response};
use crate::http::openapi::bodies::RunOptionsBody;
use crate::http::openapi::discharge::{
    DischargeInputBody, DischargeMode, DischargeRawData, DischargeRequest, DischargeSteps,
    ExistingCase,
};
use crate::store::{CallStatus, EmailStatus};
use crate::workflows::discharge::outputs::{IngestOutput, ScheduledCall, SummaryOutput};

/// The discharge area of the description.
#[derive(OpenApi)]
#[openapi(
    paths(
        discharge::orchestrate,
        discharge::get_orchestration,
        discharge::get_case,
        discharge::get_summary,
        discharge::get_email,
        discharge::cancel_email,
        discharge::resend_email,
        discharge::get_call,
        discharge::cancel_call,
    ),
    components(schemas(
        DischargeRequest, DischargeInputBody, DischargeRawData, DischargeMode, ExistingCase,
        DischargeSteps, RunOptionsBody, response::Orchestration, response::OrchestrationData,
        response::OrchestrationMetadata, response::StepFailure, response::EmailAnswer,
        IngestOutput, SummaryOutput, ScheduledCall, records::CaseRecord,
        records::SummaryRecord, records::EmailRecord, records::CallRecord, EmailStatus,
        CallStatus,
    )),
    tags(
        (name = "discharge", description = "Discharge orchestrations: the case, the owner's \
            summary and email, the follow-up call."),
        (name = "cases", description = "Discharge cases as they were taken in."),
    )
)]
pub struct DischargeApi;
