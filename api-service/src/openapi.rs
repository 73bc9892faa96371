//! The OpenAPI 3 document, generated from the handlers' annotations as they are
//! registered (utoipa-actix-web), so a route cannot exist undocumented.

use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hoplink API",
        description = "Branch-compatible SDK API and developer API of Hoplink, the self-hostable deep-link service. Errors are application/problem+json with a stable `code` and, for validation errors, the offending `field`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "sdk", description = "Called by app SDKs (Branch wire format); authenticated by `branch_key` in the body or query."),
        (name = "links", description = "Create, read, update and delete links (Bearer secret key)."),
        (name = "apps", description = "The app's configuration, domains and keys (Bearer secret key)."),
        (name = "stats", description = "Clicks, installs and opens from the daily rollups (Bearer secret key)."),
        (name = "admin", description = "Apps and shards of the deployment (Bearer admin token).")
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "secret_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An app's secret key (secret_live_...)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The deployment's HOPLINK_ADMIN_TOKEN"))
                    .build(),
            ),
        );
    }
}
