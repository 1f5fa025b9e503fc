//! Link arguments napi needs on some platforms (none on Linux).

fn main() {
    napi_build::setup();
}
