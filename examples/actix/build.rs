fn main() {
    // The example app's assets, collected as it collects them: Brotli and
    // gzip siblings in every profile, every asset compiled into the binary.
    asset_build::Config::new()
        .source("../../example-app/assets")
        .precompress(true)
        .embed(true)
        .build()
        .unwrap_or_else(asset_build::fail);
}
