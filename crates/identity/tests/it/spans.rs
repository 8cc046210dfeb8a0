//! Every domain write runs in a span named after it, so a log line from inside a write says
//! which write it was (the request's span above it says who asked).

use crate::support::World;
use std::sync::{Arc, Mutex};
use tongban_identity::MIGRATIONS;
use tongban_kernel::Role;
use tongban_test_support::each_backend;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// The names of the spans opened while it was installed.
#[derive(Clone, Default)]
struct Opened(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Opened {
    fn on_new_span(&self, attrs: &tracing::span::Attributes<'_>, _: &tracing::span::Id, _: Context<'_, S>) {
        if let Ok(mut names) = self.0.lock() {
            names.push(attrs.metadata().name().to_string());
        }
    }
}

#[tokio::test]
async fn a_write_runs_in_a_span_named_after_it() {
    // The process-wide subscriber: a thread's own (`set_default`) misses call sites that other
    // tests of this binary met first with no subscriber, which cache "never" for them.
    let opened = Opened::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(opened.clone()))
        .expect("no other test of this binary installs a subscriber");
    each_backend(&[MIGRATIONS], |db| {
        let opened = opened.clone();
        async move {
            let w = World::new(db).await;
            w.staff("span_clerk", &w.police, &[Role::Clerk]).await;
            let names = opened.0.lock().unwrap().clone();
            assert!(names.iter().any(|n| n == "create_staff"), "{names:?}");
        }
    })
    .await;
}
