//! The example app's page and assets, served by actix-web: the page at
//! `/`, rendered from the same template with `static()`, and the collected
//! assets at `/static/` by `asset_runtime::serve::ServeAssets`, mounted
//! with its `actix` method (feature `actix`).
//!
//! With `ASSET_DEV=1` (dev mode, debug builds), assets are served from
//! their source files as they are now. Live reload is a tower layer, which
//! actix-web does not run: reload the page by hand.

use std::sync::OnceLock;

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, HttpServer, web};
use asset_runtime::serve::ServeAssets;
use minijinja::{Environment, context};

asset_runtime::include_assets!();

/// The app's routes: the page at `/`, the collected assets at `/static/`.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(index))
        .service(ServeAssets::new(&ASSETS).actix("/static"));
}

/// Serves the app on a bound listener until the server stops.
pub async fn serve(listener: std::net::TcpListener) -> std::io::Result<()> {
    HttpServer::new(|| App::new().configure(routes))
        .workers(2)
        .listen(listener)?
        .run()
        .await
}

async fn index() -> HttpResponse {
    let page = templates()
        .get_template("index.html")
        .and_then(|template| template.render(context! { title => "Hashed static assets" }));
    match page {
        Ok(html) => HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html),
        Err(e) => HttpResponse::build(StatusCode::INTERNAL_SERVER_ERROR).body(format!("{e:#}")),
    }
}

/// The template environment, with `static(name)` (the hashed URL; an
/// unknown name fails the render) and `integrity(name)`.
pub fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.add_template("index.html", include_str!("../../../example-app/templates/index.html"))
            .expect("the bundled template parses");
        asset_runtime::templates::minijinja::add_to(&mut env, &ASSETS);
        env
    })
}
