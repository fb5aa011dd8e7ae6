//! Where a case deploys, for the suites that run every case on every kind
//! of store ([`Place::all`]):
//!
//! - a folder, as a web root: no prefix;
//! - an S3 bucket, under `static/`: s3s-fs in this process, or the server
//!   `ASSET_SYNC_TEST_S3` names (moto in CI);
//! - an Azure container, under a fresh prefix: Azurite, when
//!   `ASSET_SYNC_TEST_AZURE` names its account URL (such as
//!   `http://127.0.0.1:10000/devstoreaccount1`; the container is
//!   `ASSET_SYNC_TEST_AZURE_CONTAINER`, by default `asset-sync-tests`, and
//!   must exist). Without it the cases run on the other two, and say so.
//!
//! Each store is wrapped in a [`Switched`] store, which can play what a
//! test needs of the world: a publish that dies, a deploy racing this one,
//! an answer lost on the way.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use asset_sync::store::{Body, Condition, Fetched, Head, Listed, ObjectStore, Put, PutOutcome};
use asset_sync::{Progress, Quiet, Store, Summary, SyncOptions};

use super::{S3Server, Tree};

/// Azurite's well-known account and key.
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The store behind a place, and what keeps it alive.
pub enum Kind {
    Folder(tempfile::TempDir),
    S3(S3Server),
    #[cfg(feature = "azure")]
    Azure {
        endpoint: String,
        container: String,
    },
}

/// A store to deploy to, under a prefix.
pub struct Place {
    pub kind: Kind,
    pub store: Switched<Store>,
    /// The prefix every key of the place is under.
    pub prefix: String,
}

/// The headers an object was written with.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Headers {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_encoding: Option<String>,
}

impl Place {
    /// A folder, an S3 bucket, and an Azure container if one is set up.
    pub async fn all() -> Vec<Place> {
        let places = vec![Place::folder(), Place::s3().await];
        #[cfg(feature = "azure")]
        let places = {
            let mut places = places;
            match Place::azure() {
                Some(azure) => places.push(azure),
                None => eprintln!("ASSET_SYNC_TEST_AZURE is not set: these cases skip Azure (Azurite)"),
            }
            places
        };
        places
    }

    pub fn folder() -> Place {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::folder(dir.path().join("www"));
        Place {
            kind: Kind::Folder(dir),
            store: Switched::new(store),
            prefix: String::new(),
        }
    }

    pub async fn s3() -> Place {
        let server = S3Server::start().await;
        let store = server.store().await;
        Place {
            kind: Kind::S3(server),
            store: Switched::new(store),
            prefix: "static/".to_owned(),
        }
    }

    /// A fresh prefix of the Azure test container, if one is set up.
    #[cfg(feature = "azure")]
    pub fn azure() -> Option<Place> {
        let endpoint = std::env::var("ASSET_SYNC_TEST_AZURE").ok().filter(|v| !v.is_empty())?;
        let container =
            std::env::var("ASSET_SYNC_TEST_AZURE_CONTAINER").unwrap_or_else(|_| "asset-sync-tests".to_owned());
        let store = Store::Cloud(azure_store(&endpoint, &container).expect("an Azure store"));
        let prefix = format!("{}/static/", unique());
        Some(Place {
            kind: Kind::Azure { endpoint, container },
            store: Switched::new(store),
            prefix,
        })
    }

    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Folder(_) => "folder",
            Kind::S3(_) => "s3",
            #[cfg(feature = "azure")]
            Kind::Azure { .. } => "azure",
        }
    }

    /// The target, as messages show it.
    pub fn target(&self) -> String {
        match &self.kind {
            Kind::Folder(dir) => format!("{}/", dir.path().join("www").display()),
            Kind::S3(server) => format!("s3://{}/{}", server.bucket, self.prefix),
            #[cfg(feature = "azure")]
            Kind::Azure { container, .. } => format!("az://{container}/{}", self.prefix),
        }
    }

    /// The full key of `name` under the place's prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Writes an object as another tool would: no stamp, no headers of ours.
    pub async fn put_foreign(&self, name: &str, bytes: &[u8]) {
        let put = Put {
            key: &self.key(name),
            body: Body::Bytes(bytes),
            content_type: "application/octet-stream",
            cache_control: "no-cache",
            content_encoding: None,
            condition: Condition::None,
            stamp: None,
        };
        self.store.inner.put(&put).await.unwrap();
    }

    /// The object `name`, read past the switches.
    pub async fn object(&self, name: &str) -> Option<Vec<u8>> {
        let fetched = self.store.inner.get(&self.key(name), u64::MAX).await.unwrap();
        fetched.map(|f| f.bytes)
    }

    pub async fn has(&self, name: &str) -> bool {
        self.object(name).await.is_some()
    }

    /// Deletes `name` behind the sync's back.
    pub async fn remove(&self, name: &str) {
        self.store.inner.delete(&[self.key(name)]).await.unwrap();
    }

    /// Every key under the prefix, relative to it, sorted.
    pub async fn names(&self) -> Vec<String> {
        let listed = self.store.inner.list(&self.prefix).await.unwrap();
        let mut names: Vec<String> = listed
            .into_iter()
            .filter_map(|l| l.key.strip_prefix(&self.prefix).map(str::to_owned))
            .collect();
        names.sort();
        names
    }

    /// The headers `name` was written with; `None` for a folder, which
    /// keeps none.
    pub async fn headers(&self, name: &str) -> Option<Headers> {
        let key = self.key(name);
        match &self.kind {
            Kind::Folder(_) => None,
            Kind::S3(server) => {
                let head = server.head(&key).await;
                Some(Headers {
                    content_type: head.content_type().map(str::to_owned),
                    cache_control: head.cache_control().map(str::to_owned),
                    content_encoding: head.content_encoding().map(str::to_owned),
                })
            }
            #[cfg(feature = "azure")]
            Kind::Azure { endpoint, container } => Some(azure_headers(endpoint, container, &key).await),
        }
    }

    pub async fn sync(&self, tree: &Tree, options: &SyncOptions) -> asset_sync::Result<Summary> {
        self.sync_under("", tree, options).await
    }

    /// Syncs under `sub` (empty or ending in `/`) of the place's prefix.
    pub async fn sync_under(&self, sub: &str, tree: &Tree, options: &SyncOptions) -> asset_sync::Result<Summary> {
        self.sync_with(sub, tree, options, &Quiet).await
    }

    pub async fn sync_with(
        &self,
        sub: &str,
        tree: &Tree,
        options: &SyncOptions,
        progress: &dyn Progress,
    ) -> asset_sync::Result<Summary> {
        let prefix = format!("{}{sub}", self.prefix);
        let target = format!("{}{sub}", self.target());
        asset_sync::sync(&tree.local(), &self.store, &target, &prefix, options, progress).await
    }
}

/// A name no other test run uses.
#[cfg(feature = "azure")]
fn unique() -> String {
    use std::hash::{BuildHasher, RandomState};
    let random = RandomState::new().hash_one((std::process::id(), std::time::SystemTime::now()));
    format!("t{random:016x}")
}

#[cfg(feature = "azure")]
fn azure_store(endpoint: &str, container: &str) -> asset_sync::Result<asset_sync::store::CloudStore> {
    let options = asset_sync::store::CloudOptions {
        endpoint_url: Some(endpoint.to_owned()),
        initial_backoff: std::time::Duration::from_millis(5),
        account_key: Some((AZURITE_ACCOUNT.to_owned(), AZURITE_KEY.to_owned())),
        ..asset_sync::store::CloudOptions::default()
    };
    asset_sync::store::connect_azure(container, &format!("az://{container}/"), &options)
}

/// An Azure blob's headers, read with `object_store` itself.
#[cfg(feature = "azure")]
async fn azure_headers(endpoint: &str, container: &str, key: &str) -> Headers {
    use object_store::{Attribute, GetOptions, ObjectStore as _};
    let azure = object_store::azure::MicrosoftAzureBuilder::new()
        .with_account(AZURITE_ACCOUNT)
        .with_access_key(AZURITE_KEY)
        .with_endpoint(endpoint.to_owned())
        .with_allow_http(true)
        .with_container_name(container)
        .build()
        .unwrap();
    let path = object_store::path::Path::parse(key).unwrap();
    let head = GetOptions {
        head: true,
        ..GetOptions::default()
    };
    let answer = azure.get_opts(&path, head).await.unwrap();
    let get = |attribute: Attribute| answer.attributes.get(&attribute).map(|v| v.to_string());
    Headers {
        content_type: get(Attribute::ContentType),
        cache_control: get(Attribute::CacheControl),
        content_encoding: get(Attribute::ContentEncoding),
    }
}

/// A store with switches that play the world around a sync, the same way
/// on every store:
///
/// - `fail_manifest`: the manifest's write fails, as a deploy that dies
///   just before publishing;
/// - `race`: just before the manifest's conditional write, another
///   deploy writes these bytes as the manifest;
/// - `lose_answer`: the manifest's write succeeds but its answer is lost,
///   so it is sent again, as a client's retry would.
pub struct Switched<S> {
    pub inner: S,
    pub fail_manifest: AtomicBool,
    pub race: Mutex<Option<Vec<u8>>>,
    pub lose_answer: AtomicBool,
}

impl<S> Switched<S> {
    pub fn new(inner: S) -> Switched<S> {
        Switched {
            inner,
            fail_manifest: AtomicBool::new(false),
            race: Mutex::new(None),
            lose_answer: AtomicBool::new(false),
        }
    }
}

impl<S: ObjectStore + Sync> ObjectStore for Switched<S> {
    fn requests(&self) -> usize {
        self.inner.requests()
    }

    async fn head(&self, key: &str) -> asset_sync::Result<Option<Head>> {
        self.inner.head(key).await
    }

    async fn get(&self, key: &str, limit: u64) -> asset_sync::Result<Option<Fetched>> {
        self.inner.get(key, limit).await
    }

    async fn list(&self, prefix: &str) -> asset_sync::Result<Vec<Listed>> {
        self.inner.list(prefix).await
    }

    async fn put(&self, put: &Put<'_>) -> asset_sync::Result<PutOutcome> {
        let manifest = put.key.ends_with("staticfiles.json") && put.stamp.is_some();
        if manifest && self.fail_manifest.load(Ordering::SeqCst) {
            return Err(asset_sync::Error::Store {
                operation: "upload",
                key: put.key.to_owned(),
                message: "the deploy died".to_owned(),
            });
        }
        let racer = if manifest {
            self.race.lock().unwrap().take()
        } else {
            None
        };
        if let Some(bytes) = racer {
            let theirs = Put {
                body: Body::Bytes(&bytes),
                condition: Condition::None,
                stamp: None,
                ..put.clone()
            };
            self.inner.put(&theirs).await?;
        }
        if manifest && self.lose_answer.swap(false, Ordering::SeqCst) {
            self.inner.put(put).await?;
        }
        self.inner.put(put).await
    }

    async fn delete(&self, keys: &[String]) -> asset_sync::Result<()> {
        self.inner.delete(keys).await
    }

    fn caveat(&self, largest: u64) -> Option<String> {
        self.inner.caveat(largest)
    }
}
