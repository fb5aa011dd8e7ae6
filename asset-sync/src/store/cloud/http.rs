//! The HTTP client under `object_store`: its own (reqwest), with three
//! duties added, because `object_store` has none of them.
//!
//! - **Counting.** Every HTTP request is counted as it is sent, retries
//!   and token requests included: what the store and the network saw.
//! - **Error codes.** A refusal's code (Azure's `x-ms-error-code`, such as
//!   `ContainerNotFound`) goes to the [`Refusal`] slot the request carries
//!   in its extensions, or else to the store's own slot: `object_store`
//!   reports some failures (a listing's) without it.
//! - **Digests.** A write carries, in its request extensions, the MD5 of
//!   the bytes the sync read ([`ExpectedMd5`]). The store computes the MD5
//!   of what it received and says it in its answer (Azure's `Content-MD5`
//!   on `Put Blob`). An answer with another digest, or with none, is an
//!   error, and is not retried: the bytes stored are not the bytes read.
//!   (The digest cannot go in the request instead: Azure's Shared Key
//!   signature covers `Content-MD5`, and it is signed before it reaches
//!   this layer.) A read's answer gives the store's MD5 of the object the
//!   same way, in its response extensions ([`StoreMd5`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use object_store::client::{
    ClientOptions, HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse, HttpService,
    ReqwestConnector,
};

/// The MD5 of a write's body, as the sync read it: put in the write's
/// request extensions, checked against the store's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExpectedMd5(pub [u8; 16]);

/// The MD5 the store keeps for an object (its `Content-MD5`), base64, as
/// an answer to a read gave it: in the response's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoreMd5(pub String);

/// Where the code of a request's refusal goes: one slot per call of the
/// store, in the request's extensions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Refusal(pub Arc<Mutex<Option<String>>>);

impl Refusal {
    /// The code put in this slot, if any.
    pub(crate) fn code(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Empties the slot, before a call that uses it.
    pub(crate) fn clear(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn set(&self, code: &str) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(code.to_owned());
    }
}

/// What the HTTP client tells its store.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// Requests sent.
    pub requests: AtomicUsize,
    /// The code of the last refusal of a request that carried no slot of
    /// its own (listings, deletes).
    pub refusal: Refusal,
}

/// Makes [`Checked`] clients: reqwest's, counted and checked.
#[derive(Debug)]
pub(crate) struct CheckedConnector {
    /// Shared with the store.
    pub seen: Arc<Seen>,
}

impl HttpConnector for CheckedConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let inner = ReqwestConnector::default().connect(options)?;
        Ok(HttpClient::new(Checked {
            inner,
            seen: Arc::clone(&self.seen),
        }))
    }
}

/// A client that counts its requests and checks the digest of writes.
#[derive(Debug)]
struct Checked {
    inner: HttpClient,
    seen: Arc<Seen>,
}

#[async_trait::async_trait]
impl HttpService for Checked {
    async fn call(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.seen.requests.fetch_add(1, Ordering::Relaxed);
        let expected = request.extensions().get::<ExpectedMd5>().copied();
        let slot = request.extensions().get::<Refusal>().cloned();
        let mut response = self.inner.execute(request).await?;
        if let Some(code) = response.headers().get("x-ms-error-code").and_then(|v| v.to_str().ok()) {
            slot.as_ref().unwrap_or(&self.seen.refusal).set(code);
        }
        if !response.status().is_success() {
            return Ok(response);
        }
        match expected {
            Some(expected) => match digest_check(&response, expected) {
                Ok(()) => Ok(response),
                // `Unknown` is never retried: a retry of a conditional
                // write would meet the damaged write's own condition.
                Err(message) => Err(HttpError::new(HttpErrorKind::Unknown, DigestMismatch(message))),
            },
            None => {
                let md5 = response.headers().get("content-md5").and_then(|v| v.to_str().ok());
                if let Some(md5) = md5.map(str::to_owned) {
                    response.extensions_mut().insert(StoreMd5(md5));
                }
                Ok(response)
            }
        }
    }
}

/// The store's answer does not confirm the bytes sent.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct DigestMismatch(String);

/// Whether the answer to a write says the store received bytes with the
/// MD5 `expected`: Azure's `Content-MD5` (base64), or an `md5=` of
/// `x-goog-hash` (base64), as Google Cloud Storage answers.
fn digest_check(response: &HttpResponse, expected: ExpectedMd5) -> Result<(), String> {
    let headers = response.headers();
    let azure = headers.get("content-md5").and_then(|v| v.to_str().ok());
    let gcs = headers
        .get_all("x-goog-hash")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|part| part.trim().strip_prefix("md5="));
    let Some(said) = azure.or(gcs) else {
        return Err("the store's answer to the upload carried no MD5 of what it received \
                    (Content-MD5 or x-goog-hash), so the upload cannot be verified"
            .to_owned());
    };
    let wanted = STANDARD.encode(expected.0);
    if said == wanted {
        Ok(())
    } else {
        Err(format!(
            "the store received bytes with MD5 {said}, not the {wanted} read from the file: the upload \
             was damaged on the way"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::client::HttpResponseBody;

    fn answer(headers: &[(&str, &str)]) -> HttpResponse {
        let mut response = http::Response::builder().status(201);
        for (name, value) in headers {
            response = response.header(*name, *value);
        }
        response.body(HttpResponseBody::from(bytes::Bytes::new())).unwrap()
    }

    #[test]
    fn a_write_is_verified_by_the_digest_the_store_computed() {
        // MD5 of "hello".
        let hello = ExpectedMd5([
            0x5d, 0x41, 0x40, 0x2a, 0xbc, 0x4b, 0x2a, 0x76, 0xb9, 0x71, 0x9d, 0x91, 0x10, 0x17, 0xc5, 0x92,
        ]);
        assert_eq!(
            digest_check(&answer(&[("content-md5", "XUFAKrxLKna5cZ2REBfFkg==")]), hello),
            Ok(())
        );
        let gcs = answer(&[
            ("x-goog-hash", "crc32c=mnG7TA=="),
            ("x-goog-hash", "md5=XUFAKrxLKna5cZ2REBfFkg=="),
        ]);
        assert_eq!(digest_check(&gcs, hello), Ok(()));
        let joined = answer(&[("x-goog-hash", "crc32c=mnG7TA==, md5=XUFAKrxLKna5cZ2REBfFkg==")]);
        assert_eq!(digest_check(&joined, hello), Ok(()));
        let damaged = digest_check(&answer(&[("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")]), hello).unwrap_err();
        assert!(damaged.contains("damaged"), "{damaged}");
        let silent = digest_check(&answer(&[("etag", "\"0x8D\"")]), hello).unwrap_err();
        assert!(silent.contains("cannot be verified"), "{silent}");
    }
}
