//! What S3's errors mean for a sync. A missing bucket and refused
//! credentials are errors of their own, naming the bucket, the endpoint and
//! where the credentials came from; any other failure names the operation
//! and key, with the store's own words. A conditional write that fails
//! because of its condition is an outcome, not an error.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::S3Store;
use crate::error::{Error, Result, S3_WORDS};
use crate::store::{Condition, Put, PutOutcome};

/// Error codes of refused credentials or permissions.
const ACCESS_DENIED_CODES: [&str; 6] = [
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AllAccessDisabled",
    "InvalidToken",
    "ExpiredToken",
];

impl S3Store {
    /// The error of a failed request of `operation` on `key`.
    pub(super) fn error<E>(&self, operation: &'static str, key: &str, err: SdkError<E, HttpResponse>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        match err.code().unwrap_or_default() {
            "NoSuchBucket" => Error::NoSuchBucket {
                store: &S3_WORDS,
                bucket: self.bucket.clone(),
                endpoint: self.endpoint.clone(),
            },
            code if ACCESS_DENIED_CODES.contains(&code) => self.access_denied(code.to_owned()),
            _ if status == Some(403) => self.access_denied("403 Forbidden".to_owned()),
            _ => {
                let message = describe(&err, status);
                Error::Store {
                    operation,
                    key: key.to_owned(),
                    message: format!("{message} (bucket `{}` at {})", self.bucket, self.endpoint),
                }
            }
        }
    }

    /// What a failed write of `put` means: its condition did not hold, the
    /// store cannot check conditions, or (anything else) an error.
    pub(super) fn put_failed<E>(&self, put: &Put<'_>, err: SdkError<E, HttpResponse>) -> Result<PutOutcome>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        let outcome = conditional_outcome(&put.condition, status, err.code().unwrap_or_default());
        match outcome {
            Some(outcome) => Ok(outcome),
            None => Err(self.error("upload", put.key, err)),
        }
    }

    /// Access denied, with the bucket, endpoint and credential source.
    fn access_denied(&self, code: String) -> Error {
        Error::AccessDenied {
            store: &S3_WORDS,
            bucket: self.bucket.clone(),
            endpoint: self.endpoint.clone(),
            code,
            credentials: self.credentials.clone(),
        }
    }
}

/// The store's words for an error: its code and message, else the HTTP
/// status, else the SDK's description.
fn describe<E>(err: &SdkError<E, HttpResponse>, status: Option<u16>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match (err.code(), err.message(), status) {
        (Some(code), Some(message), _) => format!("{code}: {message}"),
        (Some(code), None, _) => code.to_owned(),
        (None, _, Some(status)) => format!("HTTP {status}"),
        _ => DisplayErrorContext(err).to_string(),
    }
}

/// How a write with `condition` that failed with `status` and `code` ended,
/// if the failure is about its condition; `None` if it is an error.
///
/// Stores answer a condition that does not hold with 412
/// `PreconditionFailed`, or 409 `ConditionalRequestConflict` when another
/// conditional write is in flight; AWS answers `If-Match` on a key that is
/// gone with 404 `NoSuchKey`. Stores that cannot check conditions answer 501
/// `NotImplemented`.
fn conditional_outcome(condition: &Condition, status: Option<u16>, code: &str) -> Option<PutOutcome> {
    let conditional = *condition != Condition::None;
    let failed = status == Some(412)
        || code == "PreconditionFailed"
        || code == "ConditionalRequestConflict"
        || status == Some(409);
    let gone = status == Some(404) || code == "NoSuchKey";
    let unsupported = status == Some(501) || code == "NotImplemented";
    let if_match = matches!(condition, Condition::IfMatch(_));
    if (conditional && failed) || (if_match && gone) {
        Some(PutOutcome::PreconditionFailed)
    } else if conditional && unsupported {
        Some(PutOutcome::ConditionUnsupported)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unconditional_failures_are_errors() {
        for (status, code) in [
            (Some(412), "PreconditionFailed"),
            (Some(404), "NoSuchKey"),
            (Some(501), ""),
        ] {
            assert_eq!(conditional_outcome(&Condition::None, status, code), None);
        }
    }

    #[test]
    fn conditions_that_do_not_hold_fail_the_write() {
        let if_match = Condition::IfMatch("\"etag\"".to_owned());
        for (status, code) in [(Some(412), ""), (Some(409), ""), (None, "ConditionalRequestConflict")] {
            assert_eq!(
                conditional_outcome(&Condition::IfNoneMatch, status, code),
                Some(PutOutcome::PreconditionFailed)
            );
        }
        assert_eq!(
            conditional_outcome(&if_match, Some(404), "NoSuchKey"),
            Some(PutOutcome::PreconditionFailed)
        );
        assert_eq!(
            conditional_outcome(&Condition::IfNoneMatch, Some(404), "NoSuchKey"),
            None
        );
    }

    #[test]
    fn stores_without_conditions_say_so() {
        assert_eq!(
            conditional_outcome(&Condition::IfNoneMatch, Some(501), "NotImplemented"),
            Some(PutOutcome::ConditionUnsupported)
        );
        assert_eq!(
            conditional_outcome(&Condition::IfNoneMatch, Some(500), "InternalError"),
            None
        );
    }
}
