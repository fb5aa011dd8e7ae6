//! Serving the assets from actix-web. Behind the `actix` feature.
//!
//! actix-web does not run tower services, so [`ServeAssets`] is mounted
//! through [`ServeAssets::actix`], which gives an actix-web service
//! factory for [`App::service`](actix_web::App::service) or a
//! [`scope`](actix_web::web::scope):
//!
//! ```ignore
//! asset_runtime::include_assets!();
//! let app = actix_web::App::new()
//!     .service(asset_runtime::serve::ServeAssets::new(&ASSETS).actix("/static"));
//! ```
//!
//! Every request is answered by [`ServeAssets::respond`], the same code
//! that answers axum's and any tower server's: only names in the table,
//! immutable caching of hashed names, `ETag` and `Last-Modified`
//! revalidation, `Accept-Encoding` over the build's siblings, single
//! ranges, `HEAD`, 405 for other methods, embedded or folder bytes, and
//! dev mode. This module only translates actix-web's request into the
//! method, path and headers that function takes, and its response back.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, Resource, web};
use bytes::Bytes;
use http_body::Body as _;

use crate::serve::{AssetBody, ServeAssets};

/// The request headers [`ServeAssets::respond`] reads.
const READ: [http::header::HeaderName; 5] = [
    http::header::ACCEPT_ENCODING,
    http::header::IF_NONE_MATCH,
    http::header::IF_MODIFIED_SINCE,
    http::header::RANGE,
    http::header::IF_RANGE,
];

/// [`ServeAssets`] mounted at a path of an actix-web app: register it with
/// [`App::service`](actix_web::App::service) or a scope's `service`.
#[derive(Clone, Debug)]
pub struct ActixAssets {
    mount: String,
    serve: ServeAssets,
}

impl ServeAssets {
    /// This service for actix-web, answering the requests under `mount`
    /// (`"/static"`; relative to the scope it is registered in).
    pub fn actix(self, mount: &str) -> ActixAssets {
        ActixAssets {
            mount: mount.trim_end_matches('/').to_owned(),
            serve: self,
        }
    }
}

impl HttpServiceFactory for ActixAssets {
    fn register(self, config: &mut AppService) {
        let serve = self.serve;
        // Every method reaches `respond`, which answers 405 itself.
        let route = web::route().to(move |request: HttpRequest| {
            let serve = serve.clone();
            async move { respond(&serve, &request).await }
        });
        Resource::new(format!("{}/{{path:.*}}", self.mount))
            .route(route)
            .register(config);
    }
}

/// The answer to `request`, from [`ServeAssets::respond`].
async fn respond(serve: &ServeAssets, request: &HttpRequest) -> HttpResponse<ActixBody> {
    let method = http::Method::from_bytes(request.method().as_str().as_bytes()).unwrap_or(http::Method::OPTIONS);
    // actix-web has decoded the path except `%`, `/` and `+`, which stay
    // encoded: `respond` decodes the rest once.
    let path = format!("/{}", request.match_info().get("path").unwrap_or(""));
    let mut headers = http::HeaderMap::new();
    for name in READ {
        for value in request.headers().get_all(name.as_str()) {
            if let Ok(value) = http::HeaderValue::from_bytes(value.as_bytes()) {
                headers.append(name.clone(), value);
            }
        }
    }
    let response = serve.respond(&method, &path, &headers).await;
    let (parts, body) = response.into_parts();
    let status = StatusCode::from_u16(parts.status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // actix-web writes `Content-Length` from the body's size: for `HEAD`,
    // whose body is empty, that is the length `respond` gave.
    let length = parts.headers.get(http::header::CONTENT_LENGTH);
    let size = match length.and_then(|v| v.to_str().ok()?.parse().ok()) {
        Some(len) => BodySize::Sized(len),
        None => body.size_hint().exact().map_or(BodySize::Stream, BodySize::Sized),
    };
    let mut out = HttpResponse::with_body(status, ActixBody { body, size });
    for (name, value) in &parts.headers {
        let name = HeaderName::from_bytes(name.as_str().as_bytes());
        let value = HeaderValue::from_bytes(value.as_bytes());
        if let (Ok(name), Ok(value)) = (name, value) {
            out.headers_mut().append(name, value);
        }
    }
    out
}

/// An [`AssetBody`] as actix-web's body, of the size the response's
/// `Content-Length` says (for a `HEAD` request, the size of what `GET`
/// sends, which actix-web announces without sending a body).
#[derive(Debug)]
pub struct ActixBody {
    body: AssetBody,
    size: BodySize,
}

impl MessageBody for ActixBody {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        self.size
    }

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        match Pin::new(&mut self.get_mut().body).poll_frame(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            // `AssetBody` has data frames only.
            Poll::Ready(Some(Ok(frame))) => Poll::Ready(Some(Ok(frame.into_data().unwrap_or_default()))),
        }
    }
}
