//! Writes signed without hashing their body.
//!
//! SigV4 normally signs a SHA-256 of the request body, which the client
//! must compute for every upload. A `PUT` that carries `Content-MD5` is
//! already protected: the header is signed, and the store refuses a body
//! whose MD5 differs. Such a request is therefore signed with
//! `x-amz-content-sha256: UNSIGNED-PAYLOAD`, as S3 and the S3-compatible
//! stores accept. Every other request (reads, listings, multipart parts
//! without `Content-MD5`) keeps its signed payload.

use aws_runtime::auth::PayloadSigningOverride;
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::BoxError;

/// The interceptor that signs `PUT`s with `Content-MD5` as
/// `UNSIGNED-PAYLOAD`.
#[derive(Debug)]
pub(crate) struct UnsignedMd5Puts;

impl Intercept for UnsignedMd5Puts {
    fn name(&self) -> &'static str {
        "UnsignedMd5Puts"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        if request.method() == "PUT" && request.headers().contains_key("content-md5") {
            cfg.interceptor_state()
                .store_put(PayloadSigningOverride::UnsignedPayload);
        }
        Ok(())
    }
}
