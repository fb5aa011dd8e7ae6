//! Serving the collected assets: a tower [`Service`] (usable as an axum
//! route) with Whitenoise-grade HTTP behaviour. Behind the `serve` feature.
//!
//! ```ignore
//! asset_runtime::include_assets!();
//! let app = axum::Router::new()
//!     .nest_service("/static", asset_runtime::serve::ServeAssets::new(&ASSETS));
//! ```
//!
//! What it does, per request:
//!
//! - **Only names in the table.** The path (after the mount point) must be
//!   a logical name (`css/a.css`, served from the collected original) or a
//!   hashed name (`css/a.0123456789ab.css`); anything else is 404 without
//!   touching the filesystem, so `..`, `%2e%2e`, backslashes, absolute
//!   paths and NUL bytes never reach a file.
//! - **Caching.** `Cache-Control: public, max-age=31536000, immutable` for
//!   hashed names, `public, max-age=60` (configurable) for the others; a
//!   strong `ETag` from the content MD5 (one per encoding); `If-None-Match`
//!   answered with 304 (RFC 9110 §13.1.2, weak comparison), and
//!   `If-Modified-Since` when serving from a folder (`Last-Modified` is the
//!   file's time; embedded bytes have none).
//! - **Encodings.** `Accept-Encoding` is negotiated by q-value between the
//!   build's Brotli, zstd (with `asset_build::Config::zstd`) and gzip
//!   siblings and identity (ties: br, zstd, gzip, identity), with
//!   `Vary: Accept-Encoding` whenever a sibling exists. Each representation
//!   has its own `ETag` (`"<md5>.br"`, `"<md5>.zst"`, `"<md5>.gz"`).
//! - **Security headers.** Every response carries
//!   `X-Content-Type-Options: nosniff`. SVG and HTML assets, documents a
//!   browser runs scripts in when opened from the app's own origin, carry
//!   [`DOCUMENT_POLICY`] as their `Content-Security-Policy` (change or
//!   remove it with [`ServeAssets::document_policy`]).
//! - **Methods and ranges.** `GET` and `HEAD`; others get 405 with
//!   `Allow: GET, HEAD`. A single `Range` gets 206 or 416 (RFC 9110 §14),
//!   honouring `If-Range`; several ranges get the whole file.
//!
//! Bytes come from the output folder (read per request; files above 1 MiB
//! streamed in 64 KiB chunks) or, when the build used
//! `asset_build::Config::embed`, from the binary itself. Only a file that
//! is missing or may not be read is 404; any other I/O error is 500.
//!
//! In [dev mode](crate::Settings::dev), every name of the build, hashed or
//! not, is answered with the current content of its source file, with
//! `Cache-Control: no-cache` and an ETag of that content; a name the build
//! did not see is 404 with a message saying to rebuild.
//!
//! A request goes through three steps, as in tower-http's `ServeDir`:
//! resolving the path to an asset (no I/O), opening the bytes (`open`,
//! which returns an `io::Result`), and building the response from what was
//! opened (`response::build`, no I/O).

mod body;
mod conditional;
mod negotiate;
mod open;
mod range;
mod response;

pub use body::AssetBody;

use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use asset_contract::cache;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use tower_service::Service;

use crate::asset::{Asset, FileInfo};
use crate::assets::{Assets, Served};
use crate::settings::settings;
use open::{Opened, Source};
use response::Meta;

/// `Cache-Control` of content-hashed names.
const IMMUTABLE: HeaderValue = HeaderValue::from_static(cache::IMMUTABLE);
/// `Cache-Control` in dev mode: revalidate every time.
const NO_CACHE: HeaderValue = HeaderValue::from_static(cache::NO_CACHE);

/// The default `Content-Security-Policy` of SVG and HTML assets: nothing
/// loads and no script runs, inline styles and `data:` images excepted;
/// `sandbox` also gives the document a unique origin, so a script that got
/// in anyway cannot read the app's cookies or storage.
pub const DOCUMENT_POLICY: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox";

/// A tower service that serves one crate's [`Assets`].
#[derive(Clone, Debug)]
pub struct ServeAssets {
    assets: &'static Assets,
    dir: Arc<Path>,
    short_cache: HeaderValue,
    prefer_embedded: bool,
    stream_above: u64,
    document_policy: Option<HeaderValue>,
    mount: Option<Arc<str>>,
}

impl ServeAssets {
    /// Serves `assets` from the folder the build wrote them to, or from the
    /// binary for assets the build embedded.
    pub fn new(assets: &'static Assets) -> Self {
        ServeAssets {
            assets,
            dir: Arc::from(assets.output_dir()),
            short_cache: short_cache(u64::from(cache::SHORT_MAX_AGE)),
            prefer_embedded: true,
            stream_above: 1024 * 1024,
            document_policy: Some(HeaderValue::from_static(DOCUMENT_POLICY)),
            mount: None,
        }
    }

    /// The path the service is mounted at (`/static`), for servers that
    /// hand it the whole request path: salvo's tower compatibility, or a
    /// bare hyper service. A request path must then start with it, as a
    /// whole segment, and the rest names the asset; any other is 404. Not
    /// needed under axum's `nest_service`, poem's `nest` or
    /// [`actix`](Self::actix), which remove the mount path themselves.
    pub fn mounted_at(mut self, path: &str) -> Self {
        self.mount = Some(Arc::from(path.trim_end_matches('/')));
        self
    }

    /// The `Content-Security-Policy` of SVG and HTML assets
    /// ([`DOCUMENT_POLICY`] by default); `None` sends none.
    pub fn document_policy(mut self, policy: Option<HeaderValue>) -> Self {
        self.document_policy = policy;
        self
    }

    /// The policy for an asset of `content_type`, if it is a document.
    fn policy_for(&self, content_type: &str) -> Option<HeaderValue> {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        let document = essence.eq_ignore_ascii_case("image/svg+xml") || essence.eq_ignore_ascii_case("text/html");
        self.document_policy.clone().filter(|_| document)
    }

    /// Files larger than this many bytes (1 MiB by default) are streamed
    /// from disk in 64 KiB chunks; smaller ones are read in one go.
    pub fn stream_above(mut self, bytes: u64) -> Self {
        self.stream_above = bytes;
        self
    }

    /// Reads files from `dir` instead of the build's output folder (for a
    /// binary deployed with its asset folder somewhere else).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Arc::from(dir.into().as_path());
        self
    }

    /// `max-age`, in seconds, for names without a content hash (default 60).
    pub fn short_max_age(mut self, seconds: u32) -> Self {
        self.short_cache = short_cache(u64::from(seconds));
        self
    }

    /// Whether to answer from embedded bytes when the build embedded them
    /// (default); `false` reads the folder even then.
    pub fn prefer_embedded(mut self, on: bool) -> Self {
        self.prefer_embedded = on;
        self
    }

    /// The response to a request, as the service gives it.
    pub async fn respond(&self, method: &Method, path: &str, headers: &HeaderMap) -> Response<AssetBody> {
        if method != Method::GET && method != Method::HEAD {
            return plain(response::status(
                StatusCode::METHOD_NOT_ALLOWED,
                |h| {
                    h.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
                },
                None,
            ));
        }
        let dev = settings().is_dev();
        let Some((asset, served)) = self.resolve(path) else {
            let hint = dev.then(|| {
                format!(
                    "asset-runtime dev mode: `{}` is not an asset of the last build; files added since \
                     are served after a rebuild (run the app again)",
                    path.trim_start_matches('/')
                )
            });
            return plain(response::status(StatusCode::NOT_FOUND, |_| {}, hint));
        };
        if dev {
            return self.respond_dev(method, headers, asset).await;
        }

        let file: FileInfo = match served {
            Served::Hashed => asset.hashed_file(),
            Served::Original => asset.original_file(),
        };
        let embedded = file.embedded().copied().filter(|_| self.prefer_embedded);
        let available = match &embedded {
            Some(e) => negotiate::Available {
                br: e.br.is_some(),
                zstd: e.zst.is_some(),
                gzip: e.gz.is_some(),
            },
            None => negotiate::Available {
                br: file.br_size().is_some(),
                zstd: file.zst_size().is_some(),
                gzip: file.gz_size().is_some(),
            },
        };
        let accept = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok());
        let coding = negotiate::choose(accept, available);
        let opened = match &embedded {
            Some(bytes) => open::embedded(bytes, coding),
            None => {
                let name = match served {
                    Served::Hashed => asset.hashed_name(),
                    Served::Original => asset.name(),
                };
                match open::file(open::path_in(&self.dir, name, coding), self.stream_above).await {
                    Ok(opened) => opened,
                    Err(e) => return io_error(&e, name),
                }
            }
        };
        let meta = Meta {
            etag: format!("\"{}{}\"", file.md5(), coding.suffix()),
            cache_control: match served {
                Served::Hashed => IMMUTABLE,
                Served::Original => self.short_cache.clone(),
            },
            content_type: asset.content_type(),
            coding,
            vary: available.any(),
            policy: self.policy_for(asset.content_type()),
        };
        finish(method, headers, &meta, opened).await
    }

    /// Dev mode: any name of the build, hashed or not, answered with the
    /// current content of its source file, revalidated on every use.
    async fn respond_dev(&self, method: &Method, headers: &HeaderMap, asset: Asset) -> Response<AssetBody> {
        let (opened, content_hash) = match open::source(asset).await {
            Ok(found) => found,
            Err(e) if open::is_not_found(&e) => {
                // The path goes to the server's log, not to the client.
                eprintln!(
                    "asset-runtime dev mode: the source file `{}` of `{}` cannot be read ({e})",
                    asset.source_path().display(),
                    asset.name()
                );
                let hint = format!(
                    "asset-runtime dev mode: the source file of `{}` cannot be read (the server's log \
                     names it); restore it, or rebuild if it was removed on purpose",
                    asset.name()
                );
                return plain(response::status(StatusCode::NOT_FOUND, |_| {}, Some(hint)));
            }
            Err(e) => return io_error(&e, asset.name()),
        };
        let meta = Meta {
            etag: format!("\"dev-{content_hash:016x}\""),
            cache_control: NO_CACHE,
            content_type: asset.content_type(),
            coding: negotiate::Coding::Identity,
            vary: false,
            policy: self.policy_for(asset.content_type()),
        };
        finish(method, headers, &meta, opened).await
    }

    /// The asset a request path names: percent-decoded, without the leading
    /// `/`, looked up in the table, nothing else.
    fn resolve(&self, path: &str) -> Option<(Asset, Served)> {
        let path = match &self.mount {
            Some(mount) => path.strip_prefix(&**mount).filter(|rest| rest.starts_with('/'))?,
            None => path,
        };
        let raw = path.strip_prefix('/').unwrap_or(path);
        let decoded = percent_encoding::percent_decode_str(raw).decode_utf8().ok()?;
        self.assets.by_path(&decoded)
    }
}

/// The response for `opened`, with the body it asks for.
async fn finish(method: &Method, headers: &HeaderMap, meta: &Meta, opened: Opened) -> Response<AssetBody> {
    let (response, part) = response::build(method, headers, meta, &opened);
    let (parts, ()) = response.into_parts();
    let body = match (part, opened.source) {
        (None, _) => AssetBody::empty(),
        (Some(part), Source::Memory(bytes)) => AssetBody::bytes(bytes.slice(part.start as usize..part.end as usize)),
        (Some(part), Source::File { mut file, .. }) => {
            use std::io::Seek as _;
            if let Err(e) = file.seek(std::io::SeekFrom::Start(part.start)) {
                return io_error(&e, "a streamed file");
            }
            AssetBody::file(tokio::fs::File::from_std(file), part.end - part.start)
        }
    };
    Response::from_parts(parts, body)
}

fn short_cache(seconds: u64) -> HeaderValue {
    HeaderValue::from_str(&cache::short_lived(seconds)).expect("digits make a header value")
}

/// 404 for a file that is missing or unreadable, 500 for any other error.
fn io_error(error: &std::io::Error, name: &str) -> Response<AssetBody> {
    if open::is_not_found(error) {
        return plain(response::status(StatusCode::NOT_FOUND, |_| {}, None));
    }
    eprintln!("asset-runtime: cannot serve `{name}`: {error}");
    plain(response::status(
        StatusCode::INTERNAL_SERVER_ERROR,
        |_| {},
        Some("the server could not read this asset".to_owned()),
    ))
}

fn plain(response: Response<Option<String>>) -> Response<AssetBody> {
    response.map(|text| text.map_or_else(AssetBody::empty, |t| AssetBody::bytes(t.into())))
}

impl<B> Service<Request<B>> for ServeAssets {
    type Response = Response<AssetBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let this = self.clone();
        let (parts, _) = request.into_parts();
        Box::pin(async move { Ok(this.respond(&parts.method, parts.uri.path(), &parts.headers).await) })
    }
}
