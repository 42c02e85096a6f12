//! The README shows the cart example and the quickstart exactly as their crates
//! compile them.

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

#[test]
fn readme_shows_the_quickstart_verbatim_with_its_dependencies() {
    let readme = include_str!("../../README.md");
    let main = include_str!("../../examples/quickstart/src/main.rs");
    let block = format!("```rust,ignore\n{main}```");
    assert!(
        readme.contains(&block),
        "README.md must contain examples/quickstart/src/main.rs verbatim in a ```rust,ignore block; copy it again"
    );
    // The `[dependencies]` block names exactly the crates the quickstart depends on.
    let manifest = include_str!("../../examples/quickstart/Cargo.toml");
    let names = |text: &str| -> Vec<String> {
        let mut names: Vec<String> = text
            .split("\n[dependencies]\n")
            .nth(1)
            .unwrap_or_default()
            .lines()
            .take_while(|line| !line.starts_with('[') && !line.starts_with("```"))
            .filter_map(|line| line.split(['=', '.', ' ']).next())
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect();
        names.sort();
        names
    };
    let readme_block = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_default();
    let readme_block = format!("\n{readme_block}");
    assert!(names(manifest).len() >= 4, "{:?}", names(manifest));
    assert_eq!(names(&readme_block), names(manifest));
}
