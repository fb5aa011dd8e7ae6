fn main() {
    asset_build::build("assets");
}
