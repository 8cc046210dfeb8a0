//! 统一身份认证 from the command line: `tongban oidc client add|list|rotate|disable` registers the
//! department systems that sign people in through the platform, `tongban oidc key rotate`
//! replaces the ID-token signing keys. The identity crate keeps and checks everything; this only
//! parses and prints.

use anyhow::Result;
use clap::Subcommand;
use tongban_identity::Identity;
use tongban_identity::oidc::Oidc;
use tongban_kernel::Principal;

#[derive(Subcommand)]
pub enum OidcCommand {
    /// Department systems that sign people in (OIDC clients).
    #[command(subcommand)]
    Client(ClientCommand),
    /// The ID-token signing keys.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Register a system; prints its client id and secret (shown once).
    Add {
        /// Name of the system, shown on the consent page
        name: String,
        /// Owning department code, e.g. 9901-RS
        #[arg(long)]
        department: String,
        /// A redirect URI it may use (https, or http on 127.0.0.1/localhost); repeat for several
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// How its ID tokens are signed: ES256 (standard) or SM2
        #[arg(long, default_value = "ES256")]
        alg: String,
    },
    /// List registered systems.
    List,
    /// Give a system a new secret (the old one stops working); prints it once.
    Rotate {
        /// Client id (tbo_…)
        client_id: String,
    },
    /// Disable a system: nobody signs in through it and its tokens end.
    Disable {
        /// Client id (tbo_…)
        client_id: String,
    },
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// New signing keys (ES256 and SM2) at once; the old ones stay published for a day.
    Rotate,
}

fn platform() -> Principal {
    Principal::system("cli")
}

/// Carries out `cmd`.
pub async fn oidc_command(identity: &Identity, oidc: &Oidc, cmd: OidcCommand) -> Result<()> {
    let actor = platform();
    match cmd {
        OidcCommand::Client(ClientCommand::Add {
            name,
            department,
            redirect_uris,
            alg,
        }) => {
            let dept = identity.department_by_code(&actor, &department).await?;
            let (client, secret) = oidc
                .add_client(&actor, &dept.id, &name, &redirect_uris, &alg)
                .await?;
            crate::say::registered_client(&client.name, &client.department.code, &client.client_id, &secret);
        }
        OidcCommand::Client(ClientCommand::List) => {
            for c in oidc.list_clients(&actor).await? {
                println!(
                    "{:<28} {:<12} {:<6} {:<24} {}{}",
                    c.client_id,
                    c.department.code,
                    c.id_token_alg,
                    c.name,
                    c.redirect_uris.join(" "),
                    if c.disabled {
                        say!("disabled")
                    } else {
                        String::new()
                    }
                );
            }
        }
        OidcCommand::Client(ClientCommand::Rotate { client_id }) => {
            let secret = oidc.rotate_client_secret(&actor, &client_id).await?;
            println!("client_secret: {secret}");
            println!("{}", say!("old-secret-no-longer-works"));
        }
        OidcCommand::Client(ClientCommand::Disable { client_id }) => {
            oidc.disable_client(&actor, &client_id).await?;
            println!("{}", say!("disabled-2", client_id = client_id));
        }
        OidcCommand::Key(KeyCommand::Rotate) => {
            let kids = oidc.rotate_keys(&actor).await?;
            println!("{}", say!("new-signing-keys-old-ones", ids = kids.join(", ")));
        }
    }
    Ok(())
}
