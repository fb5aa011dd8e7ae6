//! Azure Blob Storage: a container of a storage account, reached through
//! `object_store`'s Azure client.
//!
//! Credentials come from the environment, as Azure's own tools read them:
//! the account from `AZURE_STORAGE_ACCOUNT_NAME`, then the first of an
//! account key (`AZURE_STORAGE_ACCOUNT_KEY`), a SAS token
//! (`AZURE_STORAGE_SAS_TOKEN`), a bearer token (`AZURE_STORAGE_TOKEN`), a
//! workload identity (`AZURE_CLIENT_ID`, `AZURE_TENANT_ID`,
//! `AZURE_FEDERATED_TOKEN_FILE`), a service principal (`AZURE_CLIENT_ID`,
//! `AZURE_CLIENT_SECRET`, `AZURE_TENANT_ID`), the Azure CLI's login
//! (`AZURE_USE_AZURE_CLI=true`), and else the machine's managed identity.
//! `AZURE_STORAGE_USE_EMULATOR=true` reaches Azurite with its well-known
//! account. An endpoint (`--endpoint-url`) replaces
//! `https://<account>.blob.core.windows.net`: Azurite's
//! `http://127.0.0.1:10000/devstoreaccount1`, or a sovereign cloud's.

use std::sync::Arc;

use object_store::azure::MicrosoftAzureBuilder;

use super::cloud::{Backend, CheckedConnector, CloudOptions, CloudStore, Seen};
use crate::error::{Error, Result, StoreWords};

/// Azure's part: containers, accounts, its roles, its error codes, and
/// metadata names that must be C# identifiers (no `-`).
static AZURE: Backend = Backend {
    words: StoreWords {
        bucket: "container",
        reached: "storage account (AZURE_STORAGE_ACCOUNT_NAME) and endpoint",
        permissions: "the role Storage Blob Data Contributor on the container, or a SAS with read, add, \
                      create, write and list (and delete for --prune)",
    },
    variants_metadata: "asset_variants",
    missing_code: "ContainerNotFound",
    denied_codes: &[
        "AuthenticationFailed",
        "AuthorizationFailure",
        "AuthorizationPermissionMismatch",
        "InsufficientAccountPermissions",
    ],
};

/// Connects to `container` (no request is made yet). `target` names it in
/// messages.
pub fn connect_azure(container: &str, target: &str, options: &CloudOptions) -> Result<CloudStore> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let emulator = env("AZURE_STORAGE_USE_EMULATOR").is_some_and(|v| v == "true" || v == "1");
    let given = options.account_key.as_ref().map(|(account, _)| account.clone());
    let account = given.or_else(|| env("AZURE_STORAGE_ACCOUNT_NAME"));
    let Some(account) = account.or(emulator.then(|| "devstoreaccount1".to_owned())) else {
        return Err(Error::NoCredentials {
            target: target.to_owned(),
            what: "no storage account is set: set AZURE_STORAGE_ACCOUNT_NAME, and credentials \
                   (AZURE_STORAGE_ACCOUNT_KEY, AZURE_STORAGE_SAS_TOKEN, a service principal or \
                   workload identity, AZURE_USE_AZURE_CLI=true, or a managed identity)"
                .to_owned(),
        });
    };
    let seen = Arc::new(Seen::default());
    let mut builder = MicrosoftAzureBuilder::from_env()
        .with_container_name(container)
        .with_retry(options.retry())
        .with_http_connector(CheckedConnector {
            seen: Arc::clone(&seen),
        });
    if let Some((account, key)) = &options.account_key {
        builder = builder.with_account(account).with_access_key(key);
    }
    let endpoint = match &options.endpoint_url {
        Some(url) => {
            builder = builder
                .with_use_emulator(false)
                .with_endpoint(url.clone())
                .with_allow_http(url.starts_with("http://"));
            url.clone()
        }
        None if emulator => "Azurite (AZURE_STORAGE_USE_EMULATOR)".to_owned(),
        None => format!("https://{account}.blob.core.windows.net"),
    };
    let store = builder.build().map_err(|e| Error::NoCredentials {
        target: target.to_owned(),
        what: e.to_string(),
    })?;
    Ok(CloudStore {
        store: Arc::new(store),
        backend: &AZURE,
        bucket: container.to_owned(),
        endpoint,
        credentials: match &options.account_key {
            Some(_) => format!("account `{account}`, a key given by the caller"),
            None => credential_source(&account),
        },
        seen,
    })
}

/// Where the credentials come from, for messages. Never the secret.
fn credential_source(account: &str) -> String {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let how = if set("AZURE_STORAGE_ACCOUNT_KEY") || set("AZURE_STORAGE_ACCESS_KEY") {
        "its account key (AZURE_STORAGE_ACCOUNT_KEY)"
    } else if set("AZURE_STORAGE_SAS_TOKEN") || set("AZURE_STORAGE_SAS_KEY") {
        "a SAS token (AZURE_STORAGE_SAS_TOKEN)"
    } else if set("AZURE_STORAGE_TOKEN") {
        "a bearer token (AZURE_STORAGE_TOKEN)"
    } else if set("AZURE_FEDERATED_TOKEN_FILE") {
        "a workload identity (AZURE_FEDERATED_TOKEN_FILE)"
    } else if set("AZURE_CLIENT_SECRET") {
        "a service principal (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)"
    } else if set("AZURE_USE_AZURE_CLI") {
        "the Azure CLI's login"
    } else if set("AZURE_STORAGE_USE_EMULATOR") {
        "Azurite's well-known key"
    } else {
        "the machine's managed identity (no other credential is set)"
    };
    format!("account `{account}`, {how}")
}
