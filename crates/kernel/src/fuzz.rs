//! A small mutation fuzzer for the parsers' tests (the machine has only the stable toolchain, so
//! no libFuzzer): starting from valid inputs, it flips, inserts, deletes, repeats and splices
//! bytes with a seeded generator, hands each result to the parser and fails — naming the seed
//! and the input — if the parser panics. A parser may refuse anything; it may never crash.
//!
//! Each target runs for `TONGBAN_FUZZ_MILLIS` milliseconds (default 1,500; CI sets more) or
//! `TONGBAN_FUZZ_RUNS` inputs, whichever ends first; `TONGBAN_FUZZ_SEED` repeats a run.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// A seeded xorshift generator: the same seed gives the same inputs.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced by a fixed odd number).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { seed })
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// Bytes that often matter to parsers: delimiters, quotes, line ends, UTF-8 lead bytes, GBK
/// lead bytes, zero, 0xFF.
const INTERESTING: &[u8] = b",;\t\"'\r\n{}[]:\\\x00\xff\xe4\xb8\x81\x80\xef\xbb\xbfPK\x03\x04";

/// One mutation of `input`, drawing from `corpus` for splices.
pub fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(7) {
            // Flip a bit.
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            // An interesting byte in place of one.
            1 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            // Insert interesting bytes.
            2 => {
                for _ in 0..=rng.below(8) {
                    out.insert(at.min(out.len()), INTERESTING[rng.below(INTERESTING.len())]);
                }
            }
            // Delete a run.
            3 if !out.is_empty() => {
                let end = (at + 1 + rng.below(32)).min(out.len());
                out.drain(at.min(end)..end);
            }
            // Repeat a run (long lines, many fields).
            4 if !out.is_empty() => {
                let start = rng.below(out.len());
                let end = (start + 1 + rng.below(64)).min(out.len());
                let run = out[start..end].to_vec();
                for _ in 0..=rng.below(64) {
                    out.splice(at.min(out.len())..at.min(out.len()), run.iter().copied());
                }
            }
            // Splice in part of another input.
            5 if !corpus.is_empty() => {
                let other = &corpus[rng.below(corpus.len())];
                let start = rng.below(other.len());
                let end = (start + rng.below(256)).min(other.len());
                out.splice(
                    at.min(out.len())..at.min(out.len()),
                    other[start..end].iter().copied(),
                );
            }
            // Truncate.
            _ => out.truncate(at),
        }
    }
    out.truncate(1 << 20);
    out
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// The run's budget and seed from the environment: (time, most inputs, seed).
pub fn budget() -> (Duration, u64, u64) {
    let time = Duration::from_millis(env_number("TONGBAN_FUZZ_MILLIS").unwrap_or(1_500));
    let runs = env_number("TONGBAN_FUZZ_RUNS").unwrap_or(u64::MAX);
    let seed = env_number("TONGBAN_FUZZ_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    (time, runs, seed)
}

/// Runs `target` on the corpus and on mutations of it until the time or run budget is spent,
/// panicking with the seed and the input (escaped) if `target` panicked on one. Returns how many
/// inputs ran.
pub fn run(name: &str, corpus: &[Vec<u8>], mut target: impl FnMut(&[u8])) -> u64 {
    let (budget, max_runs, seed) = budget();
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    let mut runs = 0u64;
    let mut check = |input: &[u8], runs: u64| {
        if catch_unwind(AssertUnwindSafe(|| target(input))).is_err() {
            panic!(
                "{name}: the parser panicked on input {runs} (TONGBAN_FUZZ_SEED={seed}): {:?}",
                String::from_utf8_lossy(&input[..input.len().min(2_000)])
            );
        }
    };
    for input in corpus {
        check(input, runs);
        runs += 1;
    }
    while runs < max_runs && started.elapsed() < budget && !corpus.is_empty() {
        let base = &corpus[rng.below(corpus.len())];
        let input = mutate(&mut rng, base, corpus);
        check(&input, runs);
        runs += 1;
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_inputs_and_a_panic_is_reported() {
        let corpus = vec![b"a,b\n1,2\n".to_vec()];
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            assert_eq!(
                mutate(&mut a, &corpus[0], &corpus),
                mutate(&mut b, &corpus[0], &corpus)
            );
        }
        let caught = catch_unwind(|| {
            run("boom", &corpus, |input| {
                assert!(!input.contains(&b'\n'), "no line ends");
            })
        });
        assert!(caught.is_err(), "a panicking parser fails the run");
        assert!(run("calm", &corpus, |_| {}) >= 1);
    }
}
