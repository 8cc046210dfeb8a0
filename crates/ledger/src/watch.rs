//! The ledger watch: verifies the whole ledger in the background — at start, every interval,
//! and when someone asks — and keeps the latest report, so a page can show the verification
//! status without making a person wait for a full pass over millions of entries.

use crate::report::VerifyReport;
use crate::verify::verify;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tongban_crypto::VerifyingKey;
use tongban_db::Db;
use tongban_kernel::msg;
use tongban_kernel::{Millis, Permission, Principal};

/// The latest completed verification.
#[derive(Debug, Clone)]
pub struct Checked {
    /// When it finished.
    pub at: Millis,
    /// What it found.
    pub report: VerifyReport,
}

#[derive(Default)]
struct State {
    latest: Option<Checked>,
    running: bool,
    error: Option<String>,
}

/// Background verification with the latest result. Cheap to clone.
#[derive(Clone)]
pub struct LedgerWatch {
    db: Db,
    trusted: Arc<Vec<VerifyingKey>>,
    state: Arc<Mutex<State>>,
    wake: Arc<Notify>,
}

impl LedgerWatch {
    /// A watch over `db` trusting `trusted` keys (from the keys directory, never the database).
    pub fn new(db: Db, trusted: Vec<VerifyingKey>) -> Self {
        Self {
            db,
            trusted: Arc::new(trusted),
            state: Arc::default(),
            wake: Arc::new(Notify::new()),
        }
    }

    /// The latest completed verification, if any.
    pub fn latest(&self) -> Option<Checked> {
        self.state.lock().ok().and_then(|s| s.latest.clone())
    }

    /// Whether a verification is under way.
    pub fn running(&self) -> bool {
        self.state.lock().is_ok_and(|s| s.running)
    }

    /// The error of the last attempt, when it could not complete (e.g. the database was away).
    pub fn last_error(&self) -> Option<String> {
        self.state.lock().ok().and_then(|s| s.error.clone())
    }

    /// Asks the running watch for a new verification soon (`ReadLedger` needed: verification is
    /// the auditors' tool).
    pub fn request(&self, actor: &Principal) -> crate::Result<()> {
        if !actor.allows_somewhere(Permission::ReadLedger) {
            return Err(crate::Error::Forbidden {
                why: msg!("reading-ledger-not-permitted"),
            });
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Verifies now, in the caller's task, and records the result.
    pub async fn check_now(&self) -> crate::Result<Checked> {
        if let Ok(mut s) = self.state.lock() {
            s.running = true;
        }
        let result = verify(&self.db, &self.trusted).await;
        let mut s = self
            .state
            .lock()
            .map_err(|_| crate::Error::Conflict("ledger watch state poisoned".into()))?;
        s.running = false;
        match result {
            Ok(report) => {
                if !report.ok {
                    tracing::error!(summary = %report.summary(), "ledger verification failed");
                }
                let checked = Checked {
                    at: Millis::now(),
                    report,
                };
                s.latest = Some(checked.clone());
                s.error = None;
                Ok(checked)
            }
            Err(e) => {
                s.error = Some(e.to_string());
                Err(e)
            }
        }
    }

    /// Verifies at start, then every `every` and whenever [`LedgerWatch::request`] is called,
    /// until `shutdown` turns true.
    pub async fn run(self, every: Duration, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.check_now().await {
                tracing::warn!(error = %e, "ledger verification could not run");
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = self.wake.notified() => {}
                _ = shutdown.changed() => return,
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }
}
