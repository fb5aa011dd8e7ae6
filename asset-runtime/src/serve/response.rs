//! Building a response from what the request resolved to. No I/O: the
//! body is described by the byte range to send, which the service then
//! reads.

use std::ops::Range;

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response, StatusCode};

use super::conditional;
use super::negotiate::Coding;
use super::open::Opened;
use super::range::{self, Ranged};

/// What the response says about the representation, besides its bytes.
#[derive(Debug)]
pub(crate) struct Meta {
    /// Strong entity tag, quoted.
    pub(crate) etag: String,
    pub(crate) cache_control: HeaderValue,
    pub(crate) content_type: &'static str,
    pub(crate) coding: Coding,
    /// Whether other codings exist (`Vary: Accept-Encoding`).
    pub(crate) vary: bool,
    /// `Content-Security-Policy` of a document (SVG, HTML), if any.
    pub(crate) policy: Option<HeaderValue>,
}

/// `X-Content-Type-Options: nosniff`, on every response: a browser must use
/// the `Content-Type` given, never guess a script or a document from the
/// bytes.
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");

/// A response without its body, and the bytes of the representation the
/// body must carry (`None`: no body).
pub(crate) fn build(
    method: &Method,
    request: &HeaderMap,
    meta: &Meta,
    opened: &Opened,
) -> (Response<()>, Option<Range<u64>>) {
    let mut response = Response::new(());
    let h = response.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    if let Some(policy) = &meta.policy {
        h.insert(header::CONTENT_SECURITY_POLICY, policy.clone());
    }
    h.insert(header::CACHE_CONTROL, meta.cache_control.clone());
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&meta.etag).expect("an entity tag is a header value"),
    );
    if meta.vary {
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    if let Some(modified) = opened.last_modified {
        h.insert(
            header::LAST_MODIFIED,
            HeaderValue::from_str(&httpdate::fmt_http_date(modified)).expect("a date"),
        );
    }

    // RFC 9110 §13.2.2: If-None-Match first; If-Modified-Since only without it.
    let text = |name| request.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let not_modified = match text(header::IF_NONE_MATCH) {
        Some(tags) => conditional::none_match(tags, &meta.etag),
        None => match (text(header::IF_MODIFIED_SINCE), opened.last_modified) {
            (Some(since), Some(modified)) => conditional::not_modified_since(since, modified),
            _ => false,
        },
    };
    if not_modified {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return (response, None);
    }

    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(meta.content_type));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(encoding) = meta.coding.header() {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    let len = opened.source.len();
    // RFC 9110 §14.2: Range applies to GET only, and §13.1.5: If-Range.
    let ranged = match text(header::RANGE) {
        Some(range)
            if method == Method::GET
                && conditional::range_allowed(text(header::IF_RANGE), &meta.etag, opened.last_modified) =>
        {
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
            return (response, None);
        }
    };
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(part.end - part.start));
    let body = (method != Method::HEAD).then_some(part);
    (response, body)
}

/// A response with no representation: a status, its headers, and an
/// optional plain-text explanation.
pub(crate) fn status(
    code: StatusCode,
    headers: impl FnOnce(&mut HeaderMap),
    text: Option<String>,
) -> Response<Option<String>> {
    let mut response = Response::new(None);
    *response.status_mut() = code;
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    headers(response.headers_mut());
    if let Some(text) = text {
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(text.len()));
        *response.body_mut() = Some(text);
    }
    response
}
