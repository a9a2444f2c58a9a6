//! The cron area's operations, schemas and tags: apart from the
//! types (`openapi::cron`), so that handlers naming those types and this list
//! naming the handlers do not import each other.

use utoipa::OpenApi;

use crate::http::cron;
use crate::http::openapi::cron::{
    CronCatchUp, CronOutcome, CronOverlap, CronTargetBody, NewCronSchedule,
};

/// The cron-schedule area of the description.
#[derive(OpenApi)]
#[openapi(
    paths(
        cron::list,
        cron::create,
        cron::get,
        cron::replace,
        cron::remove,
        cron::pause,
        cron::resume,
    ),
    components(schemas(NewCronSchedule, CronTargetBody, CronOverlap, CronCatchUp, CronOutcome)),
    tags((name = "cron-schedules", description = "Workflow runs or events started at every \
        tick of a cron expression; each tick fires once across replicas."))
)]
pub struct CronApi;
