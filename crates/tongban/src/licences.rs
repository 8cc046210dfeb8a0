//! The seal and e-licence commands: `seal list|export-certs`, `licence list|export` and
//! `verify FILE [--certs DIR]`, which with `--certs` needs neither the database nor the keys.

use crate::platform::Platform;
use anyhow::{Context, Result};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tongban_kernel::Principal;
use tongban_seal::{Outcome, Seals, TrustedSeals, Verdict, verify_document};

#[derive(Subcommand)]
pub enum SealCommand {
    /// Every department seal: id, department, name, type, validity.
    List,
    /// Write the public seal certificates (with the maker key and the revocation list) to a
    /// folder, for verifying licences offline with `tongban verify FILE --certs DIR`.
    ExportCerts {
        /// Folder to write (created if missing)
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace a seal's key pair: a successor seal of the same name takes over signing at once;
    /// the old one is retired and its certificate kept, so what it signed still verifies.
    /// Export the certificates again afterwards for offline verifiers.
    Rotate {
        /// The seal's id (from `tongban seal list`)
        id: String,
    },
}

#[derive(Subcommand)]
pub enum LicenceCommand {
    /// Issued licences, newest first: number, type, holder (masked), issuer, status.
    List {
        /// One JSON array instead of a table
        #[arg(long)]
        json: bool,
        /// Most licences listed
        #[arg(long, default_value_t = 200)]
        limit: u32,
    },
    /// Write a licence's signed JSON file.
    Export {
        /// Licence number, e.g. DZZZ-2026-00000001
        number: String,
        /// File to write
        #[arg(long)]
        to: PathBuf,
    },
}

/// The seal service over the opened platform.
pub fn seals_for(p: &Platform, zone: &str) -> Seals {
    p.wiring(None).zone(zone).seals()
}

pub async fn seal_command(seals: &Seals, cmd: SealCommand) -> Result<()> {
    match cmd {
        SealCommand::List => {
            for s in seals.seals(None).await? {
                let retired = match &s.successor {
                    Some(next) => say!("retired-replaced", next = next.to_string()),
                    None => String::new(),
                };
                println!(
                    "{}  {:<24} {:<28} {:<8} {} — {}{retired}",
                    s.id,
                    s.issuer.name_zh,
                    s.name,
                    s.seal_type.name_zh(),
                    s.valid_from,
                    s.valid_to
                );
            }
        }
        SealCommand::Rotate { id } => {
            let id = tongban_seal::SealId::parse("id", &id)
                .map_err(|_| anyhow::anyhow!("{}", say!("no-such-seal", id = id.to_string())))?;
            let new = seals.rotate_seal(&Principal::system("cli"), &id).await?;
            println!(
                "{}",
                say!(
                    "replaced-key-seal-fingerprint-signs",
                    name = new.name.to_string(),
                    id = new.id.to_string(),
                    fingerprint = tongban_crypto::VerifyingKey::from_sec1_hex(&new.certificate.public_key)
                        .map(|k| k.fingerprint())
                        .unwrap_or_default()
                        .to_string()
                )
            );
        }
        SealCommand::ExportCerts { to } => {
            let done = seals.export_certs(&to).await?;
            println!(
                "{}",
                say!(
                    "exported-seal-certificates-revocations",
                    seals = done.seals.to_string(),
                    revocations = done.revocations.to_string(),
                    to = to.display().to_string()
                )
            );
        }
    }
    Ok(())
}

pub async fn licence_command(seals: &Seals, cmd: LicenceCommand) -> Result<()> {
    let actor = Principal::system("cli");
    match cmd {
        LicenceCommand::List { json, limit } => {
            let all = seals.licences(&actor, None, limit).await?;
            let today = seals.today();
            if json {
                // The verification code printed on each licence (the administrator's to give out).
                let mut codes = Vec::with_capacity(all.len());
                for l in &all {
                    let file = seals.signed_file(&actor, &l.number).await?;
                    let digest = tongban_seal::verification_code(&tongban_seal::file_data_hash(&file));
                    codes.push(digest);
                }
                let rows: Vec<_> = all
                    .iter()
                    .zip(&codes)
                    .map(|(l, code)| {
                        serde_json::json!({
                            "code": code,
                            "number": l.number,
                            "type": l.licence_type,
                            "title": l.title,
                            "holder": l.holder_masked,
                            "holder_id": l.holder_id_masked,
                            "issuer": l.issuer.name_zh,
                            "issued": l.issued.rfc3339(),
                            "valid_to": l.valid_to.map(|d| d.to_string()),
                            "status": l.status(today).code(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for l in &all {
                    println!(
                        "{:<20} {:<28} {:<10} {:<20} {:<24} {}",
                        l.number,
                        l.licence_type,
                        l.holder_masked,
                        l.holder_id_masked,
                        l.issuer.name_zh,
                        l.status(today).name_zh()
                    );
                }
            }
        }
        LicenceCommand::Export { number, to } => {
            let file = seals.signed_file(&actor, &number).await?;
            std::fs::write(&to, file).with_context(|| format!("writing {}", to.display()))?;
            println!("{}", say!("written", to = to.display().to_string()));
        }
    }
    Ok(())
}

/// The exit code of a verdict: 0 valid; 2 tampered; 3 unknown seal; 4 revoked; 5 expired.
pub fn exit_code(v: &Verdict) -> ExitCode {
    ExitCode::from(match v.outcome {
        Outcome::Valid => 0,
        Outcome::Tampered => 2,
        Outcome::UnknownSeal => 3,
        Outcome::Revoked => 4,
        Outcome::Expired => 5,
    })
}

/// Prints a verdict: the outcome's code and names, the issuer, and the reason.
pub fn print_verdict(v: &Verdict, json: bool) -> Result<()> {
    if json {
        let doc = v.document.as_ref();
        println!(
            "{}",
            serde_json::json!({
                "outcome": v.outcome.code(),
                "reason": v.reason.to_string(),
                "number": doc.map(|d| d.number.as_str()),
                "title": doc.map(|d| d.title.as_str()),
                "issuer": v.issuer(),
                "seal": v.seal_name,
                "signed_at": v.signed_at,
            })
        );
    } else {
        println!(
            "{}",
            crate::say::pick(v.outcome.name_zh().into(), v.outcome.name_en().into())
        );
        if let Some(d) = &v.document {
            println!(
                "{}",
                say!(
                    "licence",
                    number = d.number.to_string(),
                    title = d.title.to_string()
                )
            );
            println!("{}", say!("issuer", name_zh = d.issuer.name_zh.to_string()));
        }
        println!("{}", crate::say::msg(&v.reason));
    }
    Ok(())
}

/// Verifies offline against a certificate folder; reads nothing else.
pub fn verify_offline(file: &Path, certs: &Path) -> Result<Verdict> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let trusted = TrustedSeals::from_dir(certs)
        .with_context(|| format!("reading certificates in {}", certs.display()))?;
    let today = jiff::Timestamp::now()
        .to_zoned(tongban_kernel::time::zone(tongban_kernel::time::DEFAULT_ZONE))
        .date();
    Ok(verify_document(&bytes, &trusted, today))
}

/// Verifies online against this platform's seals and revocations.
pub async fn verify_online(seals: &Seals, file: &Path) -> Result<Verdict> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    Ok(seals.verify_file(&bytes).await?)
}
