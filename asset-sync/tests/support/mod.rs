//! A real S3 server for the tests, behind a front on 127.0.0.1:0 that logs
//! every request and, optionally, injects faults from a seed: HTTP 500,
//! 503 SlowDown, or the connection dropped while the request body is sent.
//!
//! The server is `s3s-fs` (objects in a temporary folder) in this process,
//! or, when `ASSET_SYNC_TEST_S3` holds an endpoint such as
//! `http://127.0.0.1:5055`, that server (CI runs the suite a second time
//! against moto's); each test then works in a bucket of its own.
//!
//! The front can also play a store that does not check write conditions:
//! one that answers 501 NotImplemented to them, or one that drops the
//! condition headers and writes anyway. To drop a signed header it sends
//! the write on unsigned; the in-process server lets unsigned requests in
//! only while that switch is on.

#![allow(dead_code)]

pub mod place;

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asset_sync::{LocalTree, Quiet, S3Options, Store, Summary, SyncOptions};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;

/// The bucket of the in-process server.
pub const BUCKET: &str = "assets";
/// The in-process server's access key and secret.
pub const KEY: &str = "AKIDTESTKEY";
pub const SECRET: &str = "test-secret-key";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Pass,
    Internal,
    SlowDown,
    Drop,
}

/// Faults: `per_mille` of requests (PUT only, or all) fail, chosen from `seed`.
#[derive(Clone, Copy, Debug)]
pub struct Faults {
    pub seed: u64,
    pub per_mille: u64,
    pub puts_only: bool,
}

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The decision depends on the request and how often it was seen, not on
/// the order concurrent requests arrive in.
fn decide(faults: &Faults, key: &str, attempt: u32) -> Fault {
    let h = key.bytes().fold(
        faults.seed ^ u64::from(attempt).wrapping_mul(0x1234_5678_9abc),
        |a, b| mix(a ^ u64::from(b)),
    );
    if h % 1000 >= faults.per_mille {
        return Fault::Pass;
    }
    match (h >> 20) % 3 {
        0 => Fault::Internal,
        1 => Fault::SlowDown,
        _ => Fault::Drop,
    }
}

fn xml_error(status: u16, code: &str) -> Response<s3s::Body> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected</Message>\
         <RequestId>test</RequestId></Error>"
    );
    Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .body(s3s::Body::from(xml))
        .expect("valid response")
}

/// A running server.
pub struct S3Server {
    pub endpoint: String,
    /// The bucket this server's tests use.
    pub bucket: String,
    /// A client that talks to an external server directly (not logged).
    external: Option<aws_sdk_s3::Client>,
    pub root: PathBuf,
    front: Arc<Front>,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Where the front sends requests.
#[derive(Clone)]
enum Backend {
    InProcess(s3s::service::S3Service),
    External {
        client: Box<hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Incoming>>,
        endpoint: String,
    },
}

impl Backend {
    async fn call(&self, req: Request<Incoming>) -> std::io::Result<Response<s3s::Body>> {
        let io = |e: &dyn std::fmt::Debug| std::io::Error::other(format!("{e:?}"));
        let (parts, body) = match self {
            Backend::InProcess(service) => hyper::service::Service::call(service, req)
                .await
                .map_err(|e| io(&e))?
                .into_parts(),
            Backend::External { client, endpoint } => {
                let (mut parts, body) = req.into_parts();
                let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                parts.uri = format!("{endpoint}{path}").parse().map_err(|e| io(&e))?;
                let response = client
                    .request(Request::from_parts(parts, body))
                    .await
                    .map_err(|e| io(&e))?;
                let (parts, body) = response.into_parts();
                (
                    parts,
                    s3s::Body::from(body.collect().await.map_err(|e| io(&e))?.to_bytes()),
                )
            }
        };
        // s3s-fs streams files in small blocking reads; send each response
        // in one piece, as a production server streams at full speed.
        let bytes = body.collect().await.map_err(|e| io(&e))?.to_bytes();
        Ok(Response::from_parts(parts, s3s::Body::from(bytes)))
    }
}

/// The condition headers of a write, S3's and GCS's.
const CONDITION_HEADERS: [&str; 3] = ["if-match", "if-none-match", "x-goog-if-generation-match"];

/// What the front knows: the log, the faults to inject, and its switches.
#[derive(Default)]
struct Front {
    log: Mutex<Vec<String>>,
    /// `PUT`s whose body was not hashed for the signature.
    unsigned_puts: std::sync::atomic::AtomicUsize,
    faults: Mutex<Option<Faults>>,
    attempts: Mutex<HashMap<String, u32>>,
    block_manifest: AtomicBool,
    /// Manifest writes to forward whose answer is then lost.
    lose_manifest_answers: std::sync::atomic::AtomicUsize,
    reject_conditional: AtomicBool,
    /// Shared with the in-process server's access check ([`LetUnsigned`]).
    drop_conditional: Arc<AtomicBool>,
}

/// The in-process server's access check: signed requests, as s3s's default
/// check, and unsigned ones while `0` is on (the front sends writes whose
/// condition headers it dropped unsigned: their signature covered them).
struct LetUnsigned(Arc<AtomicBool>);

impl s3s::access::S3Access for LetUnsigned {
    fn check<'a, 'b, 'c, 'f>(
        &'a self,
        cx: &'b mut s3s::access::S3AccessContext<'c>,
    ) -> Pin<Box<dyn Future<Output = s3s::S3Result<()>> + Send + 'f>>
    where
        'a: 'f,
        'b: 'f,
        'c: 'f,
        Self: 'f,
    {
        let allowed = cx.credentials().is_some() || self.0.load(Ordering::SeqCst);
        Box::pin(async move {
            if allowed {
                Ok(())
            } else {
                Err(s3s::s3_error!(AccessDenied, "Signature is required"))
            }
        })
    }
}

impl Front {
    async fn handle(&self, backend: &Backend, req: Request<Incoming>) -> std::io::Result<Response<s3s::Body>> {
        let key = format!(
            "{} {}",
            req.method(),
            req.uri().path_and_query().map_or("", |p| p.as_str())
        );
        // A CRC32 sent as a header, or announced as a trailer of a streamed body.
        let headers = req.headers();
        let trailer = headers
            .get("x-amz-trailer")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"x-amz-checksum-crc32"));
        let crc = if headers.contains_key("x-amz-checksum-crc32") || trailer {
            " [crc32]"
        } else {
            ""
        };
        // The condition headers, as the store receives them.
        let conditions: String = CONDITION_HEADERS
            .iter()
            .filter_map(|name| {
                let value = headers.get(*name)?.to_str().unwrap_or("?");
                Some(if *name == "x-goog-if-generation-match" {
                    format!(" [{name}={value}]")
                } else {
                    format!(" [{name}]")
                })
            })
            .collect();
        self.log.lock().unwrap().push(format!("{key}{crc}{conditions}"));
        if req.method() == hyper::Method::PUT
            && headers
                .get("x-amz-content-sha256")
                .is_some_and(|v| v.as_bytes() == b"UNSIGNED-PAYLOAD")
        {
            self.unsigned_puts.fetch_add(1, Ordering::Relaxed);
        }
        let attempt = {
            let mut map = self.attempts.lock().unwrap();
            let n = map.entry(key.clone()).or_default();
            *n += 1;
            *n
        };
        let is_put = req.method() == hyper::Method::PUT;
        let conditional = CONDITION_HEADERS.iter().any(|name| headers.contains_key(*name));
        if is_put && conditional && self.reject_conditional.load(Ordering::SeqCst) {
            let _ = req.into_body().collect().await;
            return Ok(xml_error(501, "NotImplemented"));
        }
        let mut req = req;
        if is_put && conditional && self.drop_conditional.load(Ordering::SeqCst) {
            let headers = req.headers_mut();
            for name in CONDITION_HEADERS {
                headers.remove(name);
            }
            if matches!(backend, Backend::InProcess(_)) {
                headers.remove("authorization");
            }
        }
        let mut fault = match *self.faults.lock().unwrap() {
            Some(f) if !f.puts_only || is_put => decide(&f, &key, attempt),
            _ => Fault::Pass,
        };
        if is_put && req.uri().path().ends_with("/staticfiles.json") && self.block_manifest.load(Ordering::SeqCst) {
            fault = Fault::Drop;
        }
        let manifest_put = is_put && req.uri().path().ends_with("/staticfiles.json");
        if manifest_put && fault == Fault::Pass {
            let lose = self
                .lose_manifest_answers
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if lose {
                // The store writes it; the answer never arrives.
                let _ = backend.call(req).await;
                return Err(std::io::Error::other("answer lost by fault injection"));
            }
        }
        match fault {
            Fault::Pass => backend.call(req).await,
            Fault::Internal | Fault::SlowDown => {
                let _ = req.into_body().collect().await;
                Ok(if fault == Fault::Internal {
                    xml_error(500, "InternalError")
                } else {
                    xml_error(503, "SlowDown")
                })
            }
            Fault::Drop => {
                // Take part of the body, then hang up.
                let mut body = req.into_body();
                let _ = body.frame().await;
                Err(std::io::Error::other("connection dropped by fault injection"))
            }
        }
    }
}

impl S3Server {
    pub async fn start() -> S3Server {
        let dir = tempfile::tempdir().unwrap();
        let drop_conditional = Arc::new(AtomicBool::new(false));
        let (backend, bucket, external) = match std::env::var("ASSET_SYNC_TEST_S3") {
            Ok(endpoint) if !endpoint.is_empty() => {
                static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .subsec_nanos();
                let bucket = format!(
                    "t{}-{}-{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::SeqCst),
                    nanos % 1_000_000
                );
                let direct = direct_client(&endpoint).await;
                direct.create_bucket().bucket(&bucket).send().await.unwrap();
                let client = Box::new(hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http());
                let endpoint = endpoint.trim_end_matches('/').to_owned();
                (
                    Backend::External {
                        client,
                        endpoint: endpoint.clone(),
                    },
                    bucket,
                    Some(direct),
                )
            }
            _ => {
                std::fs::create_dir(dir.path().join(BUCKET)).unwrap();
                let mut builder = s3s::service::S3ServiceBuilder::new(s3s_fs::FileSystem::new(dir.path()).unwrap());
                builder.set_auth(s3s::auth::SimpleAuth::from_single(KEY, SECRET));
                builder.set_access(LetUnsigned(drop_conditional.clone()));
                (Backend::InProcess(builder.build()), BUCKET.to_owned(), None)
            }
        };
        let front = Arc::new(Front {
            drop_conditional,
            ..Front::default()
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let shared = front.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                // As any production server: no Nagle delay on responses.
                let _ = tcp.set_nodelay(true);
                let (backend, front) = (backend.clone(), shared.clone());
                tokio::spawn(async move {
                    let handler = service_fn(move |req: Request<Incoming>| {
                        let (backend, front) = (backend.clone(), front.clone());
                        async move { front.handle(&backend, req).await }
                    });
                    let _ = Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tcp), handler)
                        .await;
                });
            }
        });
        let root = dir.path().to_owned();
        S3Server {
            endpoint,
            bucket,
            external,
            root,
            front,
            task,
            _dir: dir,
        }
    }

    /// Refuse (with a dropped connection) every PUT of the manifest.
    pub fn block_manifest(&self, on: bool) {
        self.front.block_manifest.store(on, Ordering::SeqCst);
    }

    /// Forward the next `n` manifest writes to the store, then drop the
    /// connection instead of answering: the store wrote them, the client
    /// never hears so.
    pub fn lose_manifest_answers(&self, n: usize) {
        self.front.lose_manifest_answers.store(n, Ordering::SeqCst);
    }

    /// Answer 501 NotImplemented to conditional writes, as some stores do.
    pub fn reject_conditional_writes(&self, on: bool) {
        self.front.reject_conditional.store(on, Ordering::SeqCst);
    }

    /// Drop the condition headers of writes and write anyway, answering as
    /// for any write, as some stores and proxies do.
    pub fn drop_conditional_headers(&self, on: bool) {
        self.front.drop_conditional.store(on, Ordering::SeqCst);
    }

    /// Keys under `prefix` in the bucket, listed past the front (neither
    /// logged nor faulted).
    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        let mut keys: Vec<String> = match &self.external {
            None => {
                let bucket = self.root.join(BUCKET);
                walk(&bucket)
                    .into_iter()
                    .map(|p| p.strip_prefix(&bucket).unwrap().to_string_lossy().replace('\\', "/"))
                    .filter(|key| key.starts_with(prefix))
                    .collect()
            }
            Some(client) => {
                let listing = client
                    .list_objects_v2()
                    .bucket(&self.bucket)
                    .prefix(prefix)
                    .send()
                    .await
                    .unwrap();
                listing
                    .contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned))
                    .collect()
            }
        };
        keys.sort();
        keys
    }

    pub fn set_faults(&self, faults: Option<Faults>) {
        *self.front.faults.lock().unwrap() = faults;
    }

    /// `PUT`s signed with `UNSIGNED-PAYLOAD` so far.
    pub fn unsigned_puts(&self) -> usize {
        self.front.unsigned_puts.load(Ordering::Relaxed)
    }

    /// Requests seen since the last call.
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.front.log.lock().unwrap())
    }

    pub fn options(&self) -> S3Options {
        S3Options {
            endpoint_url: Some(self.endpoint.clone()),
            region: Some("us-east-1".to_owned()),
            path_style: true,
            static_credentials: Some((KEY.to_owned(), SECRET.to_owned())),
            max_attempts: 4,
            initial_backoff: Duration::from_millis(5),
            ..S3Options::default()
        }
    }

    pub async fn store(&self) -> Store {
        self.store_with(self.options()).await
    }

    pub async fn store_with(&self, options: S3Options) -> Store {
        Store::s3(asset_sync::connect(&self.bucket, &options).await)
    }

    /// Whether the server is an external one (which may not check credentials).
    pub fn is_external(&self) -> bool {
        self.external.is_some()
    }

    /// The request path of a key, as the log shows it.
    pub fn path(&self, key: &str) -> String {
        format!("/{}/{key}", self.bucket)
    }

    /// An object's bytes, read past the front (neither logged nor faulted).
    pub async fn object(&self, key: &str) -> Option<Vec<u8>> {
        match &self.external {
            None => std::fs::read(self.root.join(BUCKET).join(key)).ok(),
            Some(client) => match client.get_object().bucket(&self.bucket).key(key).send().await {
                Ok(object) => Some(object.body.collect().await.unwrap().into_bytes().to_vec()),
                Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => None,
                Err(e) => panic!("reading {key}: {e:?}"),
            },
        }
    }

    /// A raw client (through the front) for checks.
    pub async fn client(&self) -> aws_sdk_s3::Client {
        asset_sync::connect(&self.bucket, &self.options())
            .await
            .client()
            .clone()
    }

    /// The headers of the object at `key`, which must exist.
    pub async fn head(&self, key: &str) -> aws_sdk_s3::operation::head_object::HeadObjectOutput {
        let client = self.client().await;
        let head = client.head_object().bucket(&self.bucket).key(key).send().await;
        head.unwrap_or_else(|e| panic!("HEAD {key}: {e:?}"))
    }

    /// Syncs `tree` to this server's bucket under `static/`.
    pub async fn sync(&self, store: &Store, tree: &Tree, options: &SyncOptions) -> asset_sync::Result<Summary> {
        let target = format!("s3://{}/static/", self.bucket);
        asset_sync::sync(&tree.local(), store, &target, "static/", options, &Quiet).await
    }

    /// Every object the bucket's manifest names is present.
    pub async fn assert_manifest_complete(&self, prefix: &str) -> asset_sync::Manifest {
        let bytes = self
            .object(&format!("{prefix}staticfiles.json"))
            .await
            .expect("a manifest");
        let manifest = asset_sync::Manifest::parse(&bytes).unwrap();
        for name in manifest.names() {
            assert!(
                self.object(&format!("{prefix}{name}")).await.is_some(),
                "{name} is named but missing"
            );
        }
        manifest
    }
}

async fn direct_client(endpoint: &str) -> aws_sdk_s3::Client {
    let options = S3Options {
        endpoint_url: Some(endpoint.to_owned()),
        region: Some("us-east-1".to_owned()),
        path_style: true,
        static_credentials: Some((KEY.to_owned(), SECRET.to_owned())),
        ..S3Options::default()
    };
    asset_sync::connect("unused", &options).await.client().clone()
}

/// A collected folder built by asset-build from `files`.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new(files: &[(&str, &[u8])]) -> Tree {
        let tree = Tree {
            dir: tempfile::tempdir().unwrap(),
        };
        for (name, bytes) in files {
            tree.write(name, bytes);
        }
        tree.build();
        tree
    }

    pub fn write(&self, name: &str, bytes: &[u8]) {
        let path = self.dir.path().join("assets").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    pub fn build(&self) {
        self.build_with(false);
    }

    /// Builds, with precompressed siblings or without.
    pub fn build_with(&self, precompress: bool) {
        self.build_options(precompress, false);
    }

    /// Builds, with precompressed siblings or without, and with zstd ones
    /// or without.
    pub fn build_options(&self, precompress: bool, zstd: bool) {
        asset_build::Config::new()
            .source("assets")
            .dependency_assets(false)
            .package_dir(self.dir.path())
            .out_dir(self.dir.path().join("out"))
            .output_dir(self.collected())
            .precompress(precompress)
            .zstd(zstd)
            .compression_cache(None)
            .cargo_directives(false)
            .build()
            .unwrap();
    }

    /// The precompressed siblings in the collected folder, by name.
    pub fn siblings(&self) -> Vec<String> {
        let dir = self.collected();
        let mut out: Vec<String> = walk(&dir)
            .into_iter()
            .map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/"))
            .filter(|name| asset_contract::Encoding::of_sibling(name).is_some())
            .collect();
        out.sort();
        out
    }

    pub fn collected(&self) -> PathBuf {
        self.dir.path().join("static")
    }

    pub fn local(&self) -> LocalTree {
        LocalTree::open(&self.collected()).unwrap()
    }
}

/// A stylesheet and a script worth compressing, and an image, built
/// without precompression.
pub fn compressible_tree() -> Tree {
    let css = ".rule { color: #123456; background: url(img/x.png) }\n".repeat(100);
    let js = "console.log('a fairly repetitive script');\n".repeat(100);
    Tree::new(&[
        ("a.css", css.as_bytes()),
        ("app.js", js.as_bytes()),
        ("img/x.png", b"png"),
    ])
}

/// A generated tree of `n` CSS files, each referring to its own image.
pub fn many_files(n: usize) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for i in 0..n {
        files.push((format!("img/i{i}.png"), format!("png {i}").into_bytes()));
        files.push((
            format!("css/c{i}.css"),
            format!(".c{i} {{ background: url(../img/i{i}.png) }}").into_bytes(),
        ));
    }
    files
}

pub fn as_refs(files: &[(String, Vec<u8>)]) -> Vec<(&str, &[u8])> {
    files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect()
}

pub fn path(p: &Path) -> String {
    p.display().to_string()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
