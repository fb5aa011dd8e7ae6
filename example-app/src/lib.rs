//! A small web app that ships its CSS, JS, images and fonts through
//! asset-build: the page links them with `static_url`, the CSS refers to
//! images and fonts by relative URLs (rewritten to hashed names at build
//! time), and the collected assets are served at `/static/` by
//! `asset_runtime::serve::ServeAssets`.
//!
//! With `ASSET_DEV=1` (dev mode, debug builds), assets are served from
//! their source files as they are now, and open pages reload when a file
//! in `assets/` changes.

use std::sync::OnceLock;

use asset_runtime::serve::ServeAssets;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use minijinja::{Environment, context};

asset_runtime::include_assets!();

/// The app: the page at `/`, the collected assets at `/static/`.
pub fn router() -> Router {
    Router::new()
        .route("/", get(index))
        .nest_service("/static", ServeAssets::new(&ASSETS))
}

/// The app, with live reload of open pages when dev mode is on.
pub fn app() -> Result<Router, asset_runtime::livereload::WatchError> {
    let app = router();
    if asset_runtime::settings().is_dev() {
        return Ok(app.layer(asset_runtime::livereload::layer(&ASSETS)?));
    }
    Ok(app)
}

/// Serves the app on a bound listener until the process ends.
pub async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let app = app().map_err(std::io::Error::other)?;
    // No Nagle delay: a response body written after its headers must not
    // wait for the client's delayed ACK.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await
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

/// The template environment, with `static(name)` (the hashed URL; an
/// unknown name fails the render) and `integrity(name)`.
pub fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.add_template("index.html", include_str!("../templates/index.html"))
            .expect("the bundled template parses");
        asset_runtime::templates::minijinja::add_to(&mut env, &ASSETS);
        env
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_url_with_default_settings() {
        let url = static_url("css/site.css").unwrap();
        assert!(url.starts_with("/static/css/site.") && url.ends_with(".css"), "{url}");
        assert!(
            matches!(url, std::borrow::Cow::Borrowed(_)),
            "no allocation with the default base"
        );
        let missing = static_url("css/typo.css").unwrap_err();
        assert_eq!(missing.name(), "css/typo.css");
        assert!(missing.to_string().contains("no static asset named `css/typo.css`"));
    }

    #[test]
    fn asset_macro_matches_the_table() {
        assert_eq!(asset!("js/app.js"), static_url("js/app.js").unwrap());
        assert_eq!(crate::asset!("img/logo.svg"), ASSETS.get("img/logo.svg").unwrap().url());
    }

    #[test]
    fn table_records_every_asset() {
        assert_eq!(ASSETS.len(), 11);
        let css = ASSETS.get("css/site.css").unwrap();
        assert_eq!(css.content_type(), "text/css; charset=utf-8");
        assert_eq!(css.md5().len(), 32);
        assert!(css.hashed_name().contains(&css.md5()[..12]));
        assert!(ASSETS.manifest_path().is_file());
    }

    #[test]
    fn template_functions() {
        let env = templates();
        let html = env
            .render_str(
                r#"<script src="{{ static("js/app.js") }}" integrity="{{ integrity("js/app.js") }}">"#,
                (),
            )
            .unwrap();
        let js = ASSETS.get("js/app.js").unwrap();
        assert_eq!(
            html,
            format!(r#"<script src="{}" integrity="{}">"#, js.url(), js.integrity())
        );
        let err = env.render_str(r#"{{ integrity("nope.js") }}"#, ()).unwrap_err();
        assert!(err.to_string().contains("nope.js"), "{err}");
    }

    #[test]
    fn template_static_function_fails_on_unknown_names() {
        let env = templates();
        let err = env.render_str(r#"{{ static("css/typo.css") }}"#, ()).unwrap_err();
        assert!(err.to_string().contains("css/typo.css"), "{err}");
    }
}
