//! The web dashboard's two pages: HTML for browsers, outside bearer authentication
//! (the page's scripts call the API with the credential the user signs in with).

use utoipa::OpenApi;

use crate::ui;

/// The dashboard operations.
#[derive(OpenApi)]
#[openapi(
    paths(ui::root, ui::index),
    tags((name = "ui", description = "The web dashboard, served by the binary."))
)]
pub struct Dashboard;
