//! The service calls area's operations, schemas and tags: apart from the
//! types (`openapi::service_calls`), so that handlers naming those types and this list
//! naming the handlers do not import each other.

use utoipa::OpenApi;

use crate::http::openapi::service_calls::{
    HttpMethod, ServiceCallRequestBody, ServiceCallSubmission, ServiceCallTag,
};
use crate::http::service_calls;

/// The service-call area of the description.
#[derive(OpenApi)]
#[openapi(
    paths(
        service_calls::submit,
        service_calls::list_service_calls,
        service_calls::get_service_call,
        service_calls::cancel_service_call,
    ),
    components(schemas(ServiceCallSubmission, ServiceCallRequestBody, ServiceCallTag, HttpMethod)),
    tags((name = "service-calls", description = "HTTP requests scheduled for a due time, \
        each performed by a `service-call` run with retries."))
)]
pub struct ServiceCallsApi;
