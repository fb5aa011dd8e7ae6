//! The service [`LiveReloadLayer`](super::LiveReloadLayer) wraps around the
//! app's: it adds `client.js` to the app's HTML pages and serves the event
//! stream that script listens to.
//!
//! A page gets one more `<script>` after its last byte; the script opens
//! [`EVENTS`] and, on a `stylesheets` event, gives every same-origin
//! `<link rel="stylesheet">` a new URL, and on a `reload` event reloads the
//! page. One stream per page: a browser opens few connections per host
//! over HTTP/1.1.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, header};
use http_body::{Body, Frame, SizeHint};
use tokio::sync::Notify;
use tokio::sync::futures::OwnedNotified;

/// Where pages listen for changes.
pub const EVENTS: &str = "/_asset-runtime/livereload";

/// The script a page gets, with the event stream's path.
fn script() -> Bytes {
    Bytes::from(format!(
        "<script data-asset-runtime-events=\"{EVENTS}\">{}</script>",
        include_str!("client.js")
    ))
}

/// What the watcher tells open pages.
#[derive(Debug, Default)]
pub(super) struct Changes {
    /// Only stylesheets (or files only they name) changed.
    pub(super) stylesheets: Arc<Notify>,
    /// Anything else changed.
    pub(super) reload: Arc<Notify>,
}

/// Wraps a service: answers [`EVENTS`], and adds the live-reload script to
/// the HTML pages the service answers.
#[derive(Clone, Debug)]
pub struct LiveReload<S> {
    inner: S,
    changes: Arc<Changes>,
}

impl<S> LiveReload<S> {
    pub(super) fn new(inner: S, changes: Arc<Changes>) -> Self {
        LiveReload { inner, changes }
    }
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for LiveReload<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Body<Data = Bytes> + Unpin + Send + 'static,
{
    type Response = Response<LiveReloadBody<ResBody>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if request.uri().path() == EVENTS {
            let events = Events::new(self.changes.clone());
            let mut response = Response::new(LiveReloadBody(Kind::Events(events)));
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            return Box::pin(async move { Ok(response) });
        }
        let future = self.inner.call(request);
        Box::pin(async move { Ok(with_script(future.await?)) })
    }
}

/// `response`, with the script after its body if it is a whole HTML page
/// (200) whose bytes can be added to (not compressed).
fn with_script<B>(response: Response<B>) -> Response<LiveReloadBody<B>> {
    let headers = response.headers();
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"));
    let whole = response.status() == http::StatusCode::OK && !headers.contains_key(header::CONTENT_ENCODING);
    let tail = (html && whole).then(script);
    let (mut parts, body) = response.into_parts();
    if let Some(tail) = &tail
        && let Some(len) = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
    {
        parts
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len + tail.len() as u64));
    }
    Response::from_parts(parts, LiveReloadBody(Kind::Page { inner: body, tail }))
}

/// A page's body with the script after it, or the event stream.
#[derive(Debug)]
pub struct LiveReloadBody<B>(Kind<B>);

#[derive(Debug)]
enum Kind<B> {
    Page { inner: B, tail: Option<Bytes> },
    Events(Events),
}

impl<B: Body<Data = Bytes> + Unpin> Body for LiveReloadBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match &mut self.get_mut().0 {
            Kind::Page { inner, tail } => match Pin::new(inner).poll_frame(cx) {
                Poll::Ready(None) => Poll::Ready(tail.take().map(|t| Ok(Frame::data(t)))),
                other => other,
            },
            Kind::Events(events) => events.poll_event(cx).map(|event| Some(Ok(Frame::data(event)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Page { inner, tail } => inner.is_end_stream() && tail.is_none(),
            Kind::Events(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Page { inner, tail } => {
                let inner = inner.size_hint();
                let more = tail.as_ref().map_or(0, |t| t.len() as u64);
                let mut hint = SizeHint::new();
                // The upper bound first: `set_lower` asserts it is not above.
                if let Some(upper) = inner.upper() {
                    hint.set_upper(upper + more);
                }
                hint.set_lower(inner.lower() + more);
                hint
            }
            Kind::Events(_) => SizeHint::default(),
        }
    }
}

/// The event stream of one page: a `retry` line, then a `stylesheets` or
/// `reload` event for each change.
#[derive(Debug)]
struct Events {
    changes: Arc<Changes>,
    started: bool,
    stylesheets: Pin<Box<OwnedNotified>>,
    reload: Pin<Box<OwnedNotified>>,
}

impl Events {
    fn new(changes: Arc<Changes>) -> Events {
        Events {
            stylesheets: listen(&changes.stylesheets),
            reload: listen(&changes.reload),
            changes,
            started: false,
        }
    }

    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Bytes> {
        if !self.started {
            self.started = true;
            return Poll::Ready(Bytes::from_static(b"retry: 1000\n\n"));
        }
        // A reload first: it makes a swap pointless.
        if self.reload.as_mut().poll(cx).is_ready() {
            self.reload = listen(&self.changes.reload);
            return Poll::Ready(Bytes::from_static(b"event: reload\ndata:\n\n"));
        }
        if self.stylesheets.as_mut().poll(cx).is_ready() {
            self.stylesheets = listen(&self.changes.stylesheets);
            return Poll::Ready(Bytes::from_static(b"event: stylesheets\ndata:\n\n"));
        }
        Poll::Pending
    }
}

/// The next notification of `notify`, listened for from now on.
fn listen(notify: &Arc<Notify>) -> Pin<Box<OwnedNotified>> {
    let mut next = Box::pin(notify.clone().notified_owned());
    next.as_mut().enable();
    next
}
