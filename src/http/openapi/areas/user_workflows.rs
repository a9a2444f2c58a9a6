//! The user workflows area's operations, schemas and tags: apart from the
//! types (`openapi::user_workflows`), so that handlers naming those types and this list
//! naming the handlers do not import each other.

use utoipa::OpenApi;

use crate::engine::{DryRunPlan, SkippedStep};
use crate::http::openapi::user_workflows::{
    CancelOnSpec, ConcurrencySpec, DebounceSpec, HttpStepRequest, LimitSpec, StepHttpMethod,
    StepPolicy, TriggerSpec, UserStepKind, UserWorkflowDefinition, UserWorkflowStep, ValueMatch,
};
use crate::http::user_workflows;

/// The tenant-workflow area of the description.
#[derive(OpenApi)]
#[openapi(
    paths(
        user_workflows::get,
        user_workflows::put,
        user_workflows::versions,
        user_workflows::version,
    ),
    components(schemas(
        UserWorkflowDefinition,
        UserWorkflowStep,
        UserStepKind,
        StepPolicy,
        HttpStepRequest,
        StepHttpMethod,
        ValueMatch,
        TriggerSpec,
        CancelOnSpec,
        ConcurrencySpec,
        DebounceSpec,
        LimitSpec,
        user_workflows::WorkflowVersion,
        user_workflows::WorkflowPlan,
        user_workflows::VersionList,
        user_workflows::VersionEntry,
        DryRunPlan,
        SkippedStep,
    ))
)]
pub struct UserWorkflowsApi;
