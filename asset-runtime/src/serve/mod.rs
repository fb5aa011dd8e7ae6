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
//!   build's Brotli and gzip siblings and identity (ties: br, gzip,
//!   identity), with `Vary: Accept-Encoding` whenever a sibling exists.
//! - **Methods and ranges.** `GET` and `HEAD`; others get 405 with
//!   `Allow: GET, HEAD`. A single `Range` gets 206 or 416 (RFC 9110 §14),
//!   honouring `If-Range`; several ranges get the whole file.
//!
//! Bytes come from the output folder (read per request; files above 1 MiB
//! streamed in 64 KiB chunks) or, when the build used
//! `asset_build::Config::embed`, from the binary itself.

mod body;
mod conditional;
mod negotiate;
mod range;

pub use body::AssetBody;

use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use tower_service::Service;

use crate::asset::FileInfo;
use crate::assets::{Assets, Served};
use negotiate::Coding;
use range::Ranged;

/// `Cache-Control` of content-hashed names.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// A tower service that serves one crate's [`Assets`].
#[derive(Clone, Debug)]
pub struct ServeAssets {
    assets: &'static Assets,
    dir: Arc<Path>,
    short_cache: HeaderValue,
    prefer_embedded: bool,
    stream_above: u64,
}

/// Where a response's bytes are.
enum Source {
    Memory(Bytes),
    File { path: PathBuf, len: u64 },
}

impl Source {
    fn len(&self) -> u64 {
        match self {
            Source::Memory(bytes) => bytes.len() as u64,
            Source::File { len, .. } => *len,
        }
    }

    /// The body for `range` of the bytes.
    async fn body(self, range: std::ops::Range<u64>) -> Option<AssetBody> {
        match self {
            Source::Memory(bytes) => Some(AssetBody::bytes(bytes.slice(range.start as usize..range.end as usize))),
            Source::File { path, .. } => {
                use tokio::io::AsyncSeekExt;
                let mut file = tokio::fs::File::open(&path).await.ok()?;
                file.seek(std::io::SeekFrom::Start(range.start)).await.ok()?;
                Some(AssetBody::file(file, range.end - range.start))
            }
        }
    }
}

impl ServeAssets {
    /// Serves `assets` from the folder the build wrote them to, or from the
    /// binary for assets the build embedded.
    pub fn new(assets: &'static Assets) -> Self {
        ServeAssets {
            assets,
            dir: Arc::from(assets.output_dir()),
            short_cache: HeaderValue::from_static("public, max-age=60"),
            prefer_embedded: true,
            stream_above: 1024 * 1024,
        }
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
        self.short_cache = HeaderValue::from_str(&format!("public, max-age={seconds}")).expect("a valid header value");
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
            return status(StatusCode::METHOD_NOT_ALLOWED, |h| {
                h.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            });
        }
        let Some((asset, served, name)) = self.lookup(path) else {
            return status(StatusCode::NOT_FOUND, |_| {});
        };
        let file: FileInfo = match served {
            Served::Hashed => asset.hashed_file(),
            Served::Original => asset.original_file(),
        };
        let embedded = file.embedded().copied().filter(|_| self.prefer_embedded);
        let (has_br, has_gz) = match embedded {
            Some(e) => (e.br.is_some(), e.gz.is_some()),
            None => (file.br_size().is_some(), file.gz_size().is_some()),
        };
        let accept = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok());
        let coding = negotiate::choose(accept, has_br, has_gz);
        let etag = format!("\"{}{}\"", file.md5(), coding.suffix());

        // The bytes, and for files their modification time.
        let (source, last_modified): (Source, Option<SystemTime>) = match embedded {
            Some(e) => {
                let slice = match coding {
                    Coding::Br => e.br.unwrap_or(e.identity),
                    Coding::Gzip => e.gz.unwrap_or(e.identity),
                    Coding::Identity => e.identity,
                };
                (Source::Memory(Bytes::from_static(slice)), None)
            }
            None => {
                let path = self.dir.join(format!("{name}{}", coding.suffix()));
                match open(path, self.stream_above).await {
                    Some(found) => found,
                    None => return status(StatusCode::NOT_FOUND, |_| {}),
                }
            }
        };

        let mut response = Response::new(AssetBody::empty());
        let h = response.headers_mut();
        h.insert(
            header::CACHE_CONTROL,
            match served {
                Served::Hashed => IMMUTABLE,
                Served::Original => self.short_cache.clone(),
            },
        );
        h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex digits"));
        if has_br || has_gz {
            h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        }
        if let Some(modified) = last_modified {
            h.insert(
                header::LAST_MODIFIED,
                HeaderValue::from_str(&httpdate::fmt_http_date(modified)).expect("a date"),
            );
        }

        // RFC 9110 §13.2.2: If-None-Match first; If-Modified-Since only without it.
        let not_modified = match headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
            Some(tags) => conditional::none_match(tags, &etag),
            None => match (
                headers.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()),
                last_modified,
            ) {
                (Some(since), Some(modified)) => conditional::not_modified_since(since, modified),
                _ => false,
            },
        };
        if not_modified {
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            return response;
        }

        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type()));
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if let Some(encoding) = coding.header() {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        let len = source.len();
        let if_range = headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok());
        let ranged = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
            Some(range) if method == Method::GET && conditional::range_allowed(if_range, &etag, last_modified) => {
                range::parse(Some(range), len)
            }
            _ => Ranged::Full,
        };
        let part = match ranged {
            Ranged::Full => 0..len,
            Ranged::Part(part) => {
                *response.status_mut() = StatusCode::PARTIAL_CONTENT;
                let value = format!("bytes {}-{}/{len}", part.start, part.end - 1);
                let h = response.headers_mut();
                h.insert(header::CONTENT_RANGE, HeaderValue::from_str(&value).expect("digits"));
                part
            }
            Ranged::Unsatisfiable => {
                *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
                let h = response.headers_mut();
                h.insert(
                    header::CONTENT_RANGE,
                    HeaderValue::from_str(&format!("bytes */{len}")).expect("digits"),
                );
                h.remove(header::CONTENT_ENCODING);
                h.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
                return response;
            }
        };
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(part.end - part.start));
        if method != Method::HEAD {
            match source.body(part).await {
                Some(body) => *response.body_mut() = body,
                None => return status(StatusCode::NOT_FOUND, |_| {}),
            }
        }
        response
    }

    /// The asset a request path names: percent-decoded, without the leading
    /// `/`, looked up in the table, nothing else.
    fn lookup(&self, path: &str) -> Option<(crate::Asset, Served, &'static str)> {
        let raw = path.strip_prefix('/').unwrap_or(path);
        let decoded = percent_encoding::percent_decode_str(raw).decode_utf8().ok()?;
        let (asset, served) = self.assets.by_path(&decoded)?;
        let name = match served {
            Served::Hashed => asset.hashed_name(),
            Served::Original => asset.name(),
        };
        Some((asset, served, name))
    }
}

/// A file of the folder: read whole if small, else left to stream; with its
/// modification time. `None` if it is not there.
async fn open(path: PathBuf, stream_above: u64) -> Option<(Source, Option<SystemTime>)> {
    tokio::task::spawn_blocking(move || {
        let meta = std::fs::metadata(&path).ok()?;
        let modified = meta.modified().ok();
        if meta.len() > stream_above {
            return Some((Source::File { path, len: meta.len() }, modified));
        }
        let bytes = std::fs::read(&path).ok()?;
        Some((Source::Memory(Bytes::from(bytes)), modified))
    })
    .await
    .ok()
    .flatten()
}

fn status(code: StatusCode, headers: impl FnOnce(&mut HeaderMap)) -> Response<AssetBody> {
    let mut response = Response::new(AssetBody::empty());
    *response.status_mut() = code;
    headers(response.headers_mut());
    response
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
