//! Building the S3 client: the standard AWS chain for credentials, region
//! and profile (`aws-config`), plus what S3-compatible stores need.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_s3::config::{Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation};

use crate::store::{Dialect, RequestCounter, S3Settings, S3Store, UnsignedMd5Puts};

/// How to reach the bucket. Its `Debug` shows the secret access key as
/// `<redacted>`.
#[derive(Clone)]
pub struct S3Options {
    /// Endpoint of an S3-compatible store (MinIO, R2, Ceph), e.g.
    /// `http://127.0.0.1:9000`. Also read from `AWS_ENDPOINT_URL` by the SDK.
    pub endpoint_url: Option<String>,
    /// Region; by default from the AWS chain, else `us-east-1`.
    pub region: Option<String>,
    /// Profile of `~/.aws/config` to use.
    pub profile: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), which most
    /// S3-compatible stores need.
    pub path_style: bool,
    /// Send the SDK's default CRC32 checksums. Some S3-compatible stores (R2,
    /// MinIO and others) reject them; turning this off sets
    /// `request_checksum_calculation` and `response_checksum_validation` to
    /// `WhenRequired` (Content-MD5 still protects every upload).
    pub sdk_checksums: bool,
    /// Hash every request body for its SigV4 signature. Off by default: a
    /// `PUT` carrying `Content-MD5` (every single-part upload) is signed as
    /// `UNSIGNED-PAYLOAD`, its integrity resting on that signed header,
    /// which saves hashing every body; turn this on for a store that
    /// refuses unsigned payloads.
    pub sign_payload: bool,
    /// Attempts per request, with the SDK's backoff between them.
    pub max_attempts: u32,
    /// First backoff between attempts (it grows, with jitter).
    pub initial_backoff: Duration,
    /// Fixed credentials instead of the AWS chain (for embedding and
    /// tests); the command-line tool always uses the chain.
    pub static_credentials: Option<(String, String)>,
    /// Send write conditions as Google Cloud Storage's
    /// `x-goog-if-generation-match` (with the generation a `GET` read from
    /// `x-goog-generation`) instead of `If-Match` / `If-None-Match`, which
    /// GCS ignores on writes. `None` (the default) decides from the
    /// endpoint: GCS for `storage.googleapis.com`.
    pub gcs_preconditions: Option<bool>,
    /// ACL, storage class, metadata and multipart settings.
    pub settings: S3Settings,
}

impl std::fmt::Debug for S3Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let credentials = self.static_credentials.as_ref().map(|(id, _)| (id, "<redacted>"));
        f.debug_struct("S3Options")
            .field("endpoint_url", &self.endpoint_url)
            .field("region", &self.region)
            .field("profile", &self.profile)
            .field("path_style", &self.path_style)
            .field("sdk_checksums", &self.sdk_checksums)
            .field("sign_payload", &self.sign_payload)
            .field("max_attempts", &self.max_attempts)
            .field("initial_backoff", &self.initial_backoff)
            .field("static_credentials", &credentials)
            .field("gcs_preconditions", &self.gcs_preconditions)
            .field("settings", &self.settings)
            .finish()
    }
}

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            endpoint_url: None,
            region: None,
            profile: None,
            path_style: false,
            sdk_checksums: true,
            sign_payload: false,
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            static_credentials: None,
            gcs_preconditions: None,
            settings: S3Settings {
                multipart_threshold: 64 * 1024 * 1024,
                part_size: 16 * 1024 * 1024,
                ..S3Settings::default()
            },
        }
    }
}

/// Connects to `bucket` (no request is made yet).
pub async fn connect(bucket: &str, options: &S3Options) -> S3Store {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(
        RetryConfig::standard()
            .with_max_attempts(options.max_attempts.max(1))
            .with_initial_backoff(options.initial_backoff),
    );
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some((key, secret)) = &options.static_credentials {
        loader = loader.credentials_provider(Credentials::new(key, secret, None, None, "static"));
    }
    let sdk = loader.load().await;
    let mut config = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(options.path_style)
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .read_timeout(Duration::from_secs(60))
                .build(),
        );
    if sdk.region().is_none() {
        config = config.region(Region::new("us-east-1"));
    }
    if !options.sign_payload {
        config = config.interceptor(UnsignedMd5Puts);
    }
    if !options.sdk_checksums {
        config = config
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    }
    let endpoint = options
        .endpoint_url
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok())
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
        .unwrap_or_else(|| {
            let region = sdk.region().map_or("us-east-1".to_owned(), |r| r.to_string());
            format!("AWS S3 ({region})")
        });
    let dialect = match options.gcs_preconditions {
        Some(true) => Dialect::Gcs,
        Some(false) => Dialect::S3,
        None => Dialect::of_endpoint(&endpoint),
    };
    S3Store {
        client: aws_sdk_s3::Client::from_conf(config.build()),
        bucket: bucket.to_owned(),
        endpoint,
        credentials: credential_source(options),
        settings: options.settings.clone(),
        dialect,
        requests: RequestCounter::default(),
    }
}

/// Where the credentials come from, for error messages. Never the secret.
fn credential_source(options: &S3Options) -> String {
    if let Some((key, _)) = &options.static_credentials {
        return format!("fixed credentials (access key {})", mask(key));
    }
    if let Ok(key) = std::env::var("AWS_ACCESS_KEY_ID") {
        return format!("the environment (AWS_ACCESS_KEY_ID={})", mask(&key));
    }
    if let Some(profile) = options.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok()) {
        return format!("profile `{profile}`");
    }
    "the default AWS chain (environment, ~/.aws profiles, SSO, instance role); none may be set up".to_owned()
}

/// The first four characters of an access key ID.
fn mask(key: &str) -> String {
    let head: String = key.chars().take(4).collect();
    format!("{head}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let options = S3Options {
            static_credentials: Some(("AKIDEXAMPLE".to_owned(), "wJalrXUtnFEMI/K7MDENG".to_owned())),
            ..S3Options::default()
        };
        let shown = format!("{options:?} {options:#?}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        assert!(shown.contains("AKIDEXAMPLE") && shown.contains("<redacted>"), "{shown}");
    }
}
