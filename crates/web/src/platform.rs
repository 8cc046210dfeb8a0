//! One wiring of the platform for `serve`, the tests and the benches: every crate's migrations
//! in the order they apply, and the services built over one database, keyring and calendar
//! with the connections between them — the hall resolves departments through identity and
//! prefills forms from the shared data pool, licences are signed by the seal service, the
//! ledger is verified with the platform's key — and the [`Workers`] that run the background
//! jobs. A new capability adds its migrations, its service and its jobs here once; every
//! caller gets them.

use crate::{Services, WebSettings};
use std::path::PathBuf;
use std::sync::Arc;
use tongban_crypto::Keyring;
use tongban_db::{Db, Migration};
use tongban_identity::{Identity, SessionPolicy};
use tongban_kernel::worker::Job;
use tongban_kernel::{Clock, Millis, WorkCalendar};

/// Every crate's migrations, in the order they apply (a crate after those it refers to).
pub fn migrations() -> Vec<&'static [Migration]> {
    vec![
        tongban_db::MIGRATIONS,
        tongban_identity::MIGRATIONS,
        tongban_ledger::MIGRATIONS,
        tongban_catalog::MIGRATIONS,
        tongban_pool::MIGRATIONS,
        tongban_interact::MIGRATIONS,
        tongban_seal::MIGRATIONS,
        tongban_hall::MIGRATIONS,
    ]
}

/// What the services are built from, with the defaults `serve` uses unless told otherwise.
#[derive(Clone)]
pub struct Wiring {
    db: Db,
    keyring: Keyring,
    calendar: WorkCalendar,
    lake: PathBuf,
    object_lake: Option<tongban_pool::ObjectLake>,
    zone: String,
    sessions: SessionPolicy,
    clock: Option<Clock>,
}

impl Wiring {
    /// Services over `db` (migrated with [`migrations`]), sealing with `keyring`, counting
    /// working days on `calendar` (one handle, so a year entered reaches every service), with
    /// the data lake under `lake`.
    pub fn new(db: Db, keyring: Keyring, calendar: WorkCalendar, lake: PathBuf) -> Self {
        Self {
            db,
            keyring,
            calendar,
            lake,
            object_lake: None,
            zone: tongban_kernel::time::DEFAULT_ZONE.to_string(),
            sessions: SessionPolicy::default(),
            clock: None,
        }
    }

    /// Dates and "today" in the zone named `zone`.
    pub fn zone(mut self, zone: &str) -> Self {
        zone.clone_into(&mut self.zone);
        self
    }

    /// Sign-in sessions under `policy`.
    pub fn sessions(mut self, policy: SessionPolicy) -> Self {
        self.sessions = policy;
        self
    }

    /// The lake kept on object storage too.
    pub fn object_lake(mut self, lake: tongban_pool::ObjectLake) -> Self {
        self.object_lake = Some(lake);
        self
    }

    /// The hall and the interaction service reading time from `clock` (tests move time).
    pub fn clock(mut self, clock: impl Fn() -> Millis + Send + Sync + 'static) -> Self {
        self.clock = Some(Clock::from_fn(clock));
        self
    }

    /// Accounts, sessions and departments.
    pub fn identity(&self) -> Identity {
        Identity::new(self.db.clone(), self.keyring.fields(), self.sessions)
    }

    /// The data catalogue.
    pub fn catalog(&self) -> tongban_catalog::Catalog {
        tongban_catalog::Catalog::new(self.db.clone(), self.calendar.clone())
    }

    /// The data pool over the lake.
    pub fn pool(&self, catalog: tongban_catalog::Catalog) -> tongban_pool::Pool {
        let pool = tongban_pool::Pool::new(self.lake.clone(), catalog, self.keyring.fields());
        match &self.object_lake {
            Some(remote) => pool.with_object_lake(remote.clone()),
            None => pool,
        }
    }

    /// Department seals and e-licences.
    pub fn seals(&self) -> tongban_seal::Seals {
        tongban_seal::Seals::new(self.db.clone(), self.keyring.clone()).with_zone(&self.zone)
    }

    /// Citizen interaction.
    pub fn interact(&self) -> tongban_interact::Interact {
        let interact =
            tongban_interact::Interact::new(self.db.clone(), self.keyring.fields(), self.calendar.clone())
                .with_zone(&self.zone);
        match &self.clock {
            Some(clock) => {
                let clock = clock.clone();
                interact.with_clock(move || clock.now())
            }
            None => interact,
        }
    }

    /// The service hall, its departments from `identity`, its licences signed by `seals`, and
    /// — with `prefill` — its forms prefilled from the shared data pool.
    pub fn hall(
        &self,
        identity: &Identity,
        seals: &tongban_seal::Seals,
        prefill: Option<(&tongban_catalog::Catalog, &tongban_pool::Pool)>,
    ) -> tongban_hall::Hall {
        let mut hall = tongban_hall::Hall::new(
            self.db.clone(),
            self.keyring.fields(),
            self.calendar.clone(),
            Arc::new(crate::directory::IdentityDirectory::new(identity.clone())),
        )
        .with_seals(seals.clone())
        .with_zone(&self.zone);
        if let Some((catalog, pool)) = prefill {
            hall = hall.with_prefill(Arc::new(crate::prefill::SharedDataPrefill::new(
                identity.clone(),
                catalog.clone(),
                pool.clone(),
            )));
        }
        match &self.clock {
            Some(clock) => {
                let clock = clock.clone();
                hall.with_clock(move || clock.now())
            }
            None => hall,
        }
    }

    /// Every service the web layer serves, connected, with `settings`; department systems
    /// sign people in at `issuer`.
    pub fn services(&self, settings: WebSettings, issuer: &str) -> Services {
        let identity = self.identity();
        let catalog = self.catalog();
        let pool = self.pool(catalog.clone());
        let seals = self.seals();
        let hall = self.hall(&identity, &seals, Some((&catalog, &pool)));
        Services {
            db: self.db.clone(),
            oidc: tongban_identity::oidc::Oidc::new(identity.clone(), self.keyring.clone(), issuer),
            ledger_watch: tongban_ledger::LedgerWatch::new(
                self.db.clone(),
                vec![self.keyring.platform_verifier()],
            ),
            interact: self.interact(),
            identity,
            catalog,
            pool,
            seals,
            hall,
            loads: Default::default(),
            settings: Arc::new(settings),
            metrics: crate::metrics::Metrics::default(),
            limiter: Default::default(),
        }
    }
}

/// The platform's background work: each [`Job`] in rounds on its period (longer after failed
/// rounds), and the tasks that run their own loop (the ledger chain, its verification) beside
/// them; every round counted in the metrics, all stopped together.
pub struct Workers {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<(&'static str, tokio::task::JoinHandle<()>)>,
    metrics: crate::metrics::Metrics,
}

impl Workers {
    /// No workers yet; rounds are counted in `metrics`.
    pub fn new(metrics: crate::metrics::Metrics) -> Self {
        Self {
            stop: tokio::sync::watch::channel(false).0,
            tasks: Vec::new(),
            metrics,
        }
    }

    /// What a task with its own loop watches: it changes when the workers stop.
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Runs `job` now and then every `period` (see [`tongban_kernel::worker::backoff`] after a
    /// failed round) until the workers stop; a round under way is finished first.
    pub fn every<J: Job>(&mut self, period: std::time::Duration, job: J) {
        let name = job.name();
        let metrics = self.metrics.clone();
        let mut stop = self.stop.subscribe();
        let task = tokio::spawn(async move {
            let mut failures = 0u32;
            while !*stop.borrow() {
                let started = std::time::Instant::now();
                let outcome = job.round().await;
                let seconds = started.elapsed().as_secs_f64();
                match &outcome {
                    Ok(0) => failures = 0,
                    Ok(items) => {
                        failures = 0;
                        tracing::info!(worker = name, items, "worker round done");
                    }
                    Err(error) => {
                        failures = failures.saturating_add(1);
                        tracing::warn!(worker = name, %error, failures, "worker round failed");
                    }
                }
                metrics.worker_round(name, outcome.ok(), seconds);
                tokio::select! {
                    () = tokio::time::sleep(tongban_kernel::worker::backoff(period, failures)) => {}
                    _ = stop.changed() => break,
                }
            }
        });
        self.tasks.push((name, task));
    }

    /// Runs `task`, which watches [`Workers::stopping`] itself, until it ends.
    pub fn spawn(
        &mut self,
        name: &'static str,
        task: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        self.tasks.push((name, tokio::spawn(task)));
    }

    /// Tells every worker to stop and waits for each to finish its round.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for (name, task) in self.tasks {
            if let Err(e) = task.await {
                tracing::warn!(worker = name, error = %e, "worker ended abnormally");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Fails its first `fail` rounds, then does one thing a round.
    struct Counting {
        rounds: Arc<AtomicUsize>,
        fail: usize,
    }

    impl Job for Counting {
        fn name(&self) -> &'static str {
            "counting"
        }

        async fn round(&self) -> Result<usize, String> {
            let n = self.rounds.fetch_add(1, Ordering::SeqCst);
            if n < self.fail {
                Err(format!("round {n} failed"))
            } else {
                Ok(1)
            }
        }
    }

    #[tokio::test]
    async fn rounds_repeat_on_their_period_are_counted_and_stop_together() {
        let metrics = crate::metrics::Metrics::default();
        let mut workers = Workers::new(metrics.clone());
        let rounds = Arc::new(AtomicUsize::new(0));
        workers.every(
            std::time::Duration::from_millis(5),
            Counting {
                rounds: rounds.clone(),
                fail: 1,
            },
        );
        let mut own = workers.stopping();
        let ended = Arc::new(AtomicUsize::new(0));
        let flag = ended.clone();
        workers.spawn("own-loop", async move {
            let _ = own.changed().await;
            flag.store(1, Ordering::SeqCst);
        });
        while rounds.load(Ordering::SeqCst) < 4 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        workers.stop().await;
        assert_eq!(
            ended.load(Ordering::SeqCst),
            1,
            "a task with its own loop is told to stop"
        );
        let done = rounds.load(Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        assert_eq!(rounds.load(Ordering::SeqCst), done, "no round after stop");
        let text = metrics.render(&[]);
        assert!(
            text.contains("tongban_worker_rounds_total{worker=\"counting\",outcome=\"failed\"} 1"),
            "{text}"
        );
        let ok = format!(
            "tongban_worker_rounds_total{{worker=\"counting\",outcome=\"ok\"}} {}",
            done - 1
        );
        assert!(text.contains(&ok), "{text}");
        assert!(text.contains(&format!(
            "tongban_worker_items_total{{worker=\"counting\"}} {}",
            done - 1
        )));
    }
}
