//! `cfg(browser_tests)` when a Chromium is installed (`CHROMIUM`, else
//! `/usr/bin/chromium`): the page's tests in a real headless browser are compiled
//! as ignored without one. With `CQRS_REQUIRE_BROWSER=1` and none the build stops,
//! so CI never ignores them (`.ci/run` installs Debian's `chromium`).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(browser_tests)");
    println!("cargo::rerun-if-env-changed=CHROMIUM");
    println!("cargo::rerun-if-env-changed=CQRS_REQUIRE_BROWSER");
    let browser = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    println!("cargo::rerun-if-changed={browser}");
    let required = std::env::var("CQRS_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    if std::path::Path::new(&browser).exists() {
        println!("cargo::rustc-cfg=browser_tests");
        println!("cargo::rustc-env=CQRS_CHROMIUM={browser}");
    } else if required {
        println!(
            "cargo::error=CQRS_REQUIRE_BROWSER=1 but no Chromium at {browser}: install Debian's `chromium` or set CHROMIUM"
        );
    }
}
