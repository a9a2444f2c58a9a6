//! careflow command line.

fn main() {}
