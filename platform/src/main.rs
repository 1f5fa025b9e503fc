//! `battlescope`: the platform binary.

fn main() {
    println!("battlescope {}", env!("CARGO_PKG_VERSION"));
}
