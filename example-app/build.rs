fn main() {
    // Precompressed siblings in every profile, so the example serves Brotli
    // and gzip in development too; and every asset compiled into the
    // binary, so it serves them from memory.
    asset_build::Config::new()
        .source("assets")
        .precompress(true)
        .embed(true)
        .build()
        .unwrap_or_else(asset_build::fail);
}
