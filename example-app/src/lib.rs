//! A small web app that ships its CSS, JS, images and fonts through
//! asset-build: the page links them with `static_url`, the CSS refers to
//! images and fonts by relative URLs (rewritten to hashed names at build
//! time), and the collected folder is served at `/static/`.

use std::sync::OnceLock;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use minijinja::{Environment, ErrorKind, context};
use tower_http::services::ServeDir;

asset_runtime::include_assets!();

/// The app: the page at `/`, the collected assets at `/static/`.
pub fn router() -> Router {
    Router::new()
        .route("/", get(index))
        .nest_service("/static", ServeDir::new(ASSETS.output_dir()))
}

/// Serves the app on a bound listener until the process ends.
pub async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, router()).await
}

async fn index() -> Result<Html<String>, (StatusCode, String)> {
    let template = templates()
        .get_template("index.html")
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    template
        .render(context! { title => "Hashed static assets" })
        .map(Html)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")))
}

/// The template environment, with a `static(name)` function that returns
/// the hashed URL and fails the render for a name that is not an asset.
pub fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.add_template("index.html", include_str!("../templates/index.html"))
            .expect("the bundled template parses");
        env.add_function("static", |name: &str| {
            static_url(name)
                .map(|url| url.into_owned())
                .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e.to_string()))
        });
        env
    })
}
