//! The README shows the cart example exactly as the cart crate compiles it.

#[test]
fn readme_shows_the_cart_domain_verbatim() {
    let readme = include_str!("../../README.md");
    let domain = include_str!("../../examples/cart/src/domain.rs");
    let block = format!("```rust,ignore\n{domain}```");
    assert!(
        readme.contains(&block),
        "README.md must contain examples/cart/src/domain.rs verbatim in a ```rust,ignore block; copy it again"
    );
}

#[test]
fn readme_names_the_ci_test_command() {
    let readme = include_str!("../../README.md");
    let ci = include_str!("../../.ci/run");
    assert!(readme.contains("```sh\ncargo test --workspace\n```"));
    assert!(
        ci.lines().any(|line| line == "cargo test --workspace"),
        ".ci/run must run the README's test command"
    );
}
