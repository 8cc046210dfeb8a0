//! Passwords: the policy every new password must meet, and Argon2id hashing.
//!
//! Hashes use Argon2id (RFC 9106) with m = 19456 KiB (19 MiB), t = 2 passes, p = 1 lane: the
//! OWASP Password Storage Cheat Sheet's baseline, about 30 ms per hash on one server core.
//! The parameters live in each PHC hash string, so raising them later still verifies old hashes.
//! Hashing runs on Tokio's blocking pool, never on the async workers, and at most one hash per
//! core runs at once (each holds 19 MiB): a burst of sign-ins waits its turn in a short queue,
//! and beyond that queue is refused as [`Error::TooMany`] (429), so memory stays bounded.

use crate::{Error, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tongban_kernel::Invalid;
use tongban_kernel::msg;

/// Argon2id memory cost in KiB.
pub const ARGON2_M_KIB: u32 = 19_456;
/// Argon2id passes.
pub const ARGON2_T: u32 = 2;
/// Argon2id lanes.
pub const ARGON2_P: u32 = 1;
/// The shortest password accepted.
pub const MIN_LEN: usize = 8;
/// The longest password accepted (bounds hashing work on hostile input).
pub const MAX_LEN: usize = 128;

const FIELD: &str = "password";

/// Checks `password` against the policy: 8–128 characters, at least three of {upper case,
/// lower case, digits, symbols}, and not containing the username. The error names `password`.
pub fn check_policy(username: &str, password: &str) -> Result<(), Invalid> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(Invalid::new(
            FIELD,
            msg!("password-have-least-min", min_len = MIN_LEN),
        ));
    }
    if len > MAX_LEN {
        return Err(Invalid::new(
            FIELD,
            msg!("password-have-most-max", max_len = MAX_LEN),
        ));
    }
    let (mut upper, mut lower, mut digit, mut symbol) = (false, false, false, false);
    for c in password.chars() {
        if c.is_uppercase() {
            upper = true;
        } else if c.is_lowercase() {
            lower = true;
        } else if c.is_ascii_digit() {
            digit = true;
        } else {
            symbol = true;
        }
    }
    let classes = [upper, lower, digit, symbol].into_iter().filter(|b| *b).count();
    if classes < 3 {
        return Err(Invalid::new(FIELD, msg!("password-mix-least-three")));
    }
    let name = username.trim().to_lowercase();
    if name.chars().count() >= 3 && password.to_lowercase().contains(&name) {
        return Err(Invalid::new(FIELD, msg!("password-not-contain-username")));
    }
    Ok(())
}

fn hasher() -> Result<Argon2<'static>> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None)
        .map_err(|e| Error::Crypto(format!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(secret: &str) -> Result<String> {
    let salt = tongban_crypto::token::random_bytes::<16>();
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Crypto(e.to_string()))?;
    hasher()?
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Crypto(e.to_string()))
}

fn verify_blocking(secret: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(secret.as_bytes(), &parsed)
        .is_ok()
}

/// Hashes allowed at once: one per core, at least two.
fn gate() -> &'static Arc<Semaphore> {
    static GATE: OnceLock<Arc<Semaphore>> = OnceLock::new();
    GATE.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Arc::new(Semaphore::new(cores.max(2)))
    })
}

/// Callers that may wait for a turn; one more is refused at once.
pub const MAX_WAITING: usize = 32;
static WAITING: AtomicUsize = AtomicUsize::new(0);

/// Counts a waiting caller for as long as it waits, cancelled or not.
struct Waiting;

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A turn to hash, held until the hash is done (also when the caller has gone away meanwhile:
/// the blocking task owns it).
async fn turn() -> Result<OwnedSemaphorePermit> {
    if WAITING.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
        WAITING.fetch_sub(1, Ordering::SeqCst);
        return Err(Error::TooMany { retry_after_s: 1 });
    }
    let waiting = Waiting;
    let permit = gate()
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| Error::Crypto("hashing gate closed".into()));
    drop(waiting);
    permit
}

/// The Argon2id PHC string of `secret` (a password or a client secret).
pub(crate) async fn hash(secret: &str) -> Result<String> {
    let secret = secret.to_owned();
    let permit = turn().await?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        hash_blocking(&secret)
    })
    .await
    .map_err(|e| Error::Crypto(format!("hashing task: {e}")))?
}

/// Whether `secret` matches the stored PHC string. A malformed stored hash never matches;
/// [`Error::TooMany`] when too many checks are already waiting.
pub(crate) async fn verify(secret: &str, stored: &str) -> Result<bool> {
    let (secret, stored) = (secret.to_owned(), stored.to_owned());
    let permit = turn().await?;
    Ok(tokio::task::spawn_blocking(move || {
        let _permit = permit;
        verify_blocking(&secret, &stored)
    })
    .await
    .unwrap_or(false))
}

/// Spends the same time as a real verification, for unknown usernames, so response time does
/// not reveal which usernames exist.
pub(crate) async fn verify_nothing(secret: &str) -> Result<()> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = match DUMMY.get() {
        Some(s) => s.clone(),
        None => DUMMY
            .get_or_init(|| hash_blocking("tongban-timing-equaliser").unwrap_or_default())
            .clone(),
    };
    verify(secret, &stored).await.map(drop)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_checks_is_bounded_and_the_excess_refused_at_once() {
        let stored = hash_blocking("Correct-horse-1").unwrap();
        let checks: Vec<_> = (0..MAX_WAITING * 3)
            .map(|_| {
                let stored = stored.clone();
                tokio::spawn(async move { verify("wrong-Password-1", &stored).await })
            })
            .collect();
        let mut refused = 0;
        let mut checked = 0;
        for c in checks {
            match c.await.unwrap() {
                Ok(matched) => {
                    assert!(!matched);
                    checked += 1;
                }
                Err(Error::TooMany { retry_after_s }) => {
                    assert!(retry_after_s >= 1);
                    refused += 1;
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert!(refused > 0, "a burst beyond the queue is refused");
        assert!(checked >= MAX_WAITING, "the queue is served: {checked}");
        assert_eq!(
            WAITING.load(Ordering::SeqCst),
            0,
            "nobody is left counted as waiting"
        );
        assert!(verify("Correct-horse-1", &stored).await.unwrap());
    }

    #[test]
    fn short_passwords_are_refused_naming_the_field() {
        let e = check_policy("zhang3", "Ab1!").unwrap_err();
        assert_eq!(e.field, "password");
        assert!(e.reason.to_string().contains("至少"));
        assert!(e.reason.to_string().contains("at least 8"));
    }

    #[test]
    fn three_character_classes_are_needed() {
        assert!(check_policy("zhang3", "alllowercase").is_err());
        assert!(check_policy("zhang3", "lowerand1234").is_err());
        assert!(check_policy("zhang3", "Lower1234").is_ok());
        assert!(check_policy("zhang3", "lower-1234").is_ok());
        assert!(check_policy("zhang3", "UPPER-lower").is_ok());
        // Chinese characters count as symbols.
        assert!(check_policy("zhang3", "通办password1").is_ok());
    }

    #[test]
    fn the_username_may_not_appear_in_the_password() {
        let e = check_policy("zhang3", "MyZhang3!pass").unwrap_err();
        assert_eq!(e.field, "password");
        assert!(e.reason.to_string().contains("username"));
    }

    #[test]
    fn overlong_passwords_are_refused() {
        let long = format!("Aa1!{}", "x".repeat(200));
        assert!(check_policy("zhang3", &long).is_err());
    }

    #[test]
    fn hashes_are_argon2id_with_the_documented_parameters() {
        let h = hash_blocking("Correct-Horse-9").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("Correct-Horse-9", &h));
        assert!(!verify_blocking("correct-horse-9", &h));
        assert!(!verify_blocking("Correct-Horse-9", "not a hash"));
    }
}
