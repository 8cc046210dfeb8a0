//! `serve` and `demo`: the ledger caught up, the listener bound, the services wired, the workers
//! started, the web server run until a signal, then everything stopped in order.

use crate::commands::{catalog_for, hall_for, identity_for, interact_for};
use crate::{
    config, demo, demo_data, demo_hall, demo_interact, demo_seal, jobs, keys, licences, mail, platform,
    pulls, say, webhooks,
};
use anyhow::{Context, Result};
use std::time::Duration;
use tongban_ledger::{Ledger, LedgerConfig};

/// Seeds the fictional demo city (once; idempotent), then serves it unless `seed_only`.
pub(crate) async fn demo(p: platform::Platform, serve: config::Serve, seed_only: bool) -> Result<()> {
    let identity = identity_for(&p, Some(&serve));
    let accounts = demo::seed(&identity).await.context("seeding the demo city")?;
    let catalog = catalog_for(&p).await?;
    demo::seed_catalog(&identity, &catalog)
        .await
        .context("seeding the demo catalog")?;
    let pool = p.pool(catalog.clone())?;
    demo_data::load(&pool, &catalog, &p.store.data_dir.join("demo-files")).await?;
    demo_interact::seed(&identity, &interact_for(&p, &serve.time_zone).await?)
        .await
        .context("seeding the demo interactions")?;
    demo_seal::seed(&identity, &licences::seals_for(&p, &serve.time_zone))
        .await
        .context("seeding the demo seals and licences")?;
    demo_hall::seed(&identity, &hall_for(&p, &identity, &serve.time_zone).await?)
        .await
        .context("seeding the demo service hall")?;
    if seed_only {
        print_accounts(&accounts);
        p.db.close().await;
    } else {
        self::serve(p, serve, Some(accounts)).await?;
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}

fn print_accounts(accounts: &[demo::DemoAccount]) {
    println!();
    println!(
        "{}",
        say!(
            "demo-accounts-password-all",
            password = demo::PASSWORD.to_string()
        )
    );
    for a in accounts {
        println!("  {:<14} {}", a.username, say::half(&a.what));
    }
    println!("{}", say!("dept-clerk-reviewer-approver-admin"));
}

/// Serves the platform until a signal; the demo's accounts are printed when given.
pub(crate) async fn serve(
    p: platform::Platform,
    serve: config::Serve,
    demo: Option<Vec<demo::DemoAccount>>,
) -> Result<()> {
    let ledger = Ledger::new(
        p.db.clone(),
        p.keyring.platform_signer().clone(),
        LedgerConfig {
            checkpoint_every: serve.checkpoint_every,
            checkpoint_interval: Duration::from_secs(serve.checkpoint_seconds),
            ..LedgerConfig::default()
        },
    );
    ledger
        .catch_up()
        .await
        .context("chaining pending events into the ledger")?;
    // Bound first: the OIDC issuer defaults to the address actually listened on (a port of 0
    // gets one from the system).
    let listener = tokio::net::TcpListener::bind(serve.listen)
        .await
        .with_context(|| format!("listening on {}", serve.listen))?;
    let addr = listener.local_addr()?;
    let issuer = serve.public_url.clone().unwrap_or_else(|| {
        let scheme = if serve.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{addr}")
    });
    let settings = tongban_web::WebSettings {
        zone: tongban_kernel::time::zone(&serve.time_zone),
        tls: serve.tls.is_some(),
        demo: demo.is_some(),
        body_limit: serve.body_limit,
        upload_limit: serve.upload_limit,
        request_timeout: Duration::from_secs(serve.request_timeout),
        upload_dir: p.store.data_dir.join("uploads"),
        exchange_rate: serve.exchange_rate,
        exchange_burst: serve.exchange_rate.saturating_mul(2),
    };
    let mut services = p.wiring_with_lake(Some(&serve))?.services(settings, &issuer);
    services.interact = services
        .interact
        .with_reply_checker(config::reply_checker(serve.reply_lists.as_deref())?);

    let mut workers = tongban_web::platform::Workers::new(services.metrics.clone());
    workers.spawn("ledger", ledger.run(workers.stopping()));
    // Full verification in the background: at start, every ten minutes, and on request.
    workers.spawn(
        "ledger-verify",
        services
            .ledger_watch
            .clone()
            .run(Duration::from_secs(600), workers.stopping()),
    );
    workers.every(
        Duration::from_secs(60),
        jobs::CalendarRefresh {
            db: p.db.clone(),
            calendar: p.calendar.clone(),
        },
    );
    workers.every(keys::REFRESH_EVERY, jobs::KeyRefresh(p.keyring.clone()));
    workers.every(
        Duration::from_secs(600),
        jobs::SessionPurge(services.identity.clone()),
    );
    workers.every(
        Duration::from_secs(300),
        jobs::Escalation(services.interact.clone()),
    );
    // Deliveries of new versions to the department systems that subscribed (变更通知).
    workers.every(
        Duration::from_secs(5),
        webhooks::Webhooks {
            pool: services.pool.clone(),
            policy: tongban_pool::RetryPolicy::default(),
        },
    );
    // Scheduled pulls of department database tables (定时抽取), checked every minute.
    workers.every(Duration::from_secs(60), pulls::Pulls(services.pool.clone()));
    // Notifications by e-mail, when an SMTP relay is configured.
    if let Some(url) = &serve.smtp_url {
        workers.every(
            Duration::from_secs(10),
            mail::Mail {
                hall: services.hall.clone(),
                interact: services.interact.clone(),
                identity: services.identity.clone(),
                channel: mail::SmtpChannel::new(url, &serve.mail_from, serve.smtp_ca.as_deref())?,
            },
        );
    }
    let state = tongban_web::AppState::new(services);
    let scheme = if serve.tls.is_some() { "https" } else { "http" };
    println!();
    println!(
        "{}",
        say!(
            "tongban-running-data",
            backend = format!("{:?}", p.db.backend()),
            data_dir = p.store.data_dir.display().to_string()
        )
    );
    println!("{}", say!("portal", scheme = scheme, addr = addr.to_string()));
    println!(
        "{}",
        say!("console-console", scheme = scheme, addr = addr.to_string())
    );
    println!("  API:          {scheme}://{addr}/api/openapi.json");
    println!("  Open311:      {scheme}://{addr}/open311/v2/discovery.json");
    if let Some(accounts) = &demo {
        print_accounts(accounts);
    }
    println!();
    let tls = serve.tls.map(|(cert, key)| tongban_web::TlsFiles { cert, key });
    tongban_web::serve(listener, tongban_web::router(state), tls, shutdown_signal()).await?;
    workers.stop().await;
    p.db.close().await;
    Ok(())
}
