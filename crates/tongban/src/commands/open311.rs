//! Open311 API keys from the command line.

use super::system;
use crate::cli::{Open311Command, Open311KeyCommand};
use anyhow::Result;

/// Issues, lists or revokes an Open311 key.
pub(super) async fn command(interact: &tongban_interact::Interact, cmd: Open311Command) -> Result<()> {
    let actor = system();
    let Open311Command::Key(cmd) = cmd;
    match cmd {
        Open311KeyCommand::Add { name } => {
            let (key, secret) = interact.add_open311_key(&actor, &name).await?;
            println!("{}", say!("issued-open311-key", name = key.name.to_string()));
            println!("api_key: {secret}");
            println!("{}", say!("key-shown-only-this-once"));
        }
        Open311KeyCommand::List => {
            for k in interact.open311_keys(&actor).await? {
                println!(
                    "{:<32} {}{}",
                    k.name,
                    k.created.rfc3339(),
                    if k.revoked.is_some() { "  [revoked]" } else { "" }
                );
            }
        }
        Open311KeyCommand::Revoke { name } => {
            interact.revoke_open311_key(&actor, &name).await?;
            println!("{}", say!("revoked-open311-key", name = name));
        }
    }
    Ok(())
}
