//! Stylesheets swapped in place: the service that injects `swap.js` into
//! HTML pages and serves the event stream it listens to.
//!
//! A page gets one more `<script>` after its last byte (as tower-livereload
//! adds its own); the script opens [`EVENTS`] and, on each `stylesheets`
//! event, gives every same-origin `<link rel="stylesheet">` a new URL.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, header};
use http_body::{Body, Frame, SizeHint};
use tokio::sync::Notify;
use tokio::sync::futures::OwnedNotified;

/// Where pages listen for stylesheet changes.
pub const EVENTS: &str = "/_asset-runtime/stylesheets";

/// The script a page gets, with the event stream's path.
fn script() -> Bytes {
    Bytes::from(format!(
        "<script data-asset-runtime-events=\"{EVENTS}\">{}</script>",
        include_str!("swap.js")
    ))
}

/// Wraps a service: answers [`EVENTS`], and adds the swap script to the
/// HTML pages the service answers.
#[derive(Clone, Debug)]
pub struct Swap<S> {
    inner: S,
    changed: Arc<Notify>,
}

impl<S> Swap<S> {
    pub(super) fn new(inner: S, changed: Arc<Notify>) -> Self {
        Swap { inner, changed }
    }
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for Swap<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Body<Data = Bytes> + Unpin + Send + 'static,
{
    type Response = Response<SwapBody<ResBody>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if request.uri().path() == EVENTS {
            let events = Events::new(self.changed.clone());
            let mut response = Response::new(SwapBody(Kind::Events(events)));
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            return Box::pin(async move { Ok(response) });
        }
        let future = self.inner.call(request);
        Box::pin(async move { Ok(with_script(future.await?)) })
    }
}

/// `response`, with the swap script after its body if it is an HTML page
/// whose bytes can be added to (not compressed).
fn with_script<B>(response: Response<B>) -> Response<SwapBody<B>> {
    let headers = response.headers();
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"));
    let tail = (html && !headers.contains_key(header::CONTENT_ENCODING)).then(script);
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
    Response::from_parts(parts, SwapBody(Kind::Page { inner: body, tail }))
}

/// A page's body with the script after it, or the event stream.
#[derive(Debug)]
pub struct SwapBody<B>(Kind<B>);

#[derive(Debug)]
enum Kind<B> {
    Page { inner: B, tail: Option<Bytes> },
    Events(Events),
}

impl<B: Body<Data = Bytes> + Unpin> Body for SwapBody<B> {
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
                let mut hint = inner.size_hint();
                let more = tail.as_ref().map_or(0, |t| t.len() as u64);
                hint.set_lower(hint.lower() + more);
                if let Some(upper) = hint.upper() {
                    hint.set_upper(upper + more);
                }
                hint
            }
            Kind::Events(_) => SizeHint::default(),
        }
    }
}

/// The event stream of one page: a `retry` line, then a `stylesheets`
/// event for each change.
#[derive(Debug)]
struct Events {
    changed: Arc<Notify>,
    started: bool,
    next: Pin<Box<OwnedNotified>>,
}

impl Events {
    fn new(changed: Arc<Notify>) -> Events {
        let next = Events::listen(&changed);
        Events {
            changed,
            started: false,
            next,
        }
    }

    /// The next change, listened for from now on.
    fn listen(changed: &Arc<Notify>) -> Pin<Box<OwnedNotified>> {
        let mut next = Box::pin(changed.clone().notified_owned());
        next.as_mut().enable();
        next
    }

    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Bytes> {
        if !self.started {
            self.started = true;
            return Poll::Ready(Bytes::from_static(b"retry: 1000\n\n"));
        }
        match self.next.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                self.next = Events::listen(&self.changed);
                Poll::Ready(Bytes::from_static(b"event: stylesheets\ndata:\n\n"))
            }
        }
    }
}
