//! The operator's page in a real headless Chromium: the streams list and a
//! stream's events render as tables a person sees (the DOM after Chromium loaded
//! and laid out the page), and a screenshot can be taken for the README
//! (`CQRS_SCREENSHOT=path cargo test -p cqrs-admin --test browser`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cqrs_admin::Admin;
use cqrs_core::runner::{MemoryTarget, ProjectionRunner};
use cqrs_core::{
    DomainEvent, EventStore, ExpectedVersion, InMemoryEventStore, Metadata, NewEvent, Projection,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    #[event(name = "cart.item_added")]
    ItemAdded { sku: String, quantity: u32 },
    #[event(name = "cart.checked_out")]
    CheckedOut { total_cents: u64 },
}

#[derive(Debug, Default, Projection)]
#[projection(event = CartEvent, handles(ItemAdded))]
struct Added {
    units: u64,
}

impl Added {
    fn on_item_added(&mut self, _sku: String, quantity: u32) {
        self.units += u64::from(quantity);
    }
}

/// Runs Chromium headless on `url` with `extra` arguments; its standard output.
#[cfg(browser_tests)]
async fn chromium(url: &str, extra: &[&str]) -> String {
    let profile =
        std::env::temp_dir().join(format!("cqrs-admin-chromium-{}", cqrs_core::Uuid::new_v4()));
    let run = tokio::process::Command::new(env!("CQRS_CHROMIUM"))
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("Chromium did not finish in 60 s")
        .unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[cfg_attr(
    not(browser_tests),
    ignore = "needs Chromium: install Debian's chromium or set CHROMIUM"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_renders_in_a_real_browser() {
    #[cfg(browser_tests)]
    {
        let store = InMemoryEventStore::new();
        let correlation = Some(cqrs_core::Uuid::new_v4());
        for (cart, sku, quantity) in [
            ("alice", "apple", 3),
            ("bob", "pear", 2),
            ("alice", "fig", 1),
        ] {
            let event = CartEvent::ItemAdded {
                sku: sku.into(),
                quantity,
            };
            let metadata = Metadata {
                correlation_id: correlation,
                ..Metadata::default()
            };
            let event = NewEvent::from_event(&event, metadata).unwrap();
            store
                .append(&format!("cart-{cart}"), ExpectedVersion::Any, vec![event])
                .await
                .unwrap();
        }
        let done = NewEvent::from_event(
            &CartEvent::CheckedOut { total_cents: 140 },
            Metadata::default(),
        )
        .unwrap();
        store
            .append("cart-alice", ExpectedVersion::Any, vec![done])
            .await
            .unwrap();
        let mut runner = ProjectionRunner::new(store.clone(), MemoryTarget::<Added>::new());
        runner.catch_up().await.unwrap();

        let admin = Admin::new(store, "/admin").projections(vec![runner.watch_status()]);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/admin", listener.local_addr().unwrap());
        let app = axum::Router::new().nest("/admin", admin.router());
        tokio::spawn(async move { axum::serve(listener, app).await });

        let dom = chromium(&format!("{base}/streams"), &["--dump-dom"]).await;
        assert!(dom.contains("<table id=\"streams\">"), "{dom}");
        assert!(
            dom.contains(">cart-alice</a>") && dom.contains(">cart-bob</a>"),
            "{dom}"
        );

        let dom = chromium(&format!("{base}/streams/cart-alice"), &["--dump-dom"]).await;
        assert!(dom.contains("<table id=\"events\">"), "{dom}");
        assert_eq!(dom.matches("<tr id=\"v").count(), 3, "{dom}");
        assert!(
            dom.contains("cart.checked_out") && dom.contains("\"sku\": \"apple\""),
            "{dom}"
        );

        let dom = chromium(&format!("{base}/projections"), &["--dump-dom"]).await;
        assert!(dom.contains("<td>added</td>"), "{dom}");

        if let Ok(path) = std::env::var("CQRS_SCREENSHOT") {
            let shot = format!("--screenshot={path}");
            chromium(
                &format!("{base}/streams/cart-alice"),
                &[&shot, "--window-size=1280,520"],
            )
            .await;
            assert!(std::path::Path::new(&path).exists());
        }
    }
}
