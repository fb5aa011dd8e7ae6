//! The base URL and strictness set at start-up (a process of its own, as
//! the settings are fixed once per process).

use asset_runtime::{Settings, configure};

#[test]
fn cdn_base_url_and_lenient_lookups() {
    configure(Settings::new().base_url("https://cdn.example.com/app").strict(false)).unwrap();
    let asset = example_app::ASSETS.get("css/site.css").unwrap();
    let url = example_app::static_url("css/site.css").unwrap();
    assert_eq!(url, format!("https://cdn.example.com/app/{}", asset.hashed_name()));
    // The same string is handed out again, built once.
    assert!(std::ptr::eq(asset.url(), asset.url()));
    // Lenient: an unknown name is its unhashed, encoded URL.
    assert_eq!(
        example_app::static_url("img/new photo.png").unwrap(),
        "https://cdn.example.com/app/img/new%20photo.png"
    );
    // Settings are fixed once.
    assert!(configure(Settings::new()).is_err());
}
