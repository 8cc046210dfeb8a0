//! 出站地址白名单 from the command line: `tongban egress allow|list|remove`. Webhook callbacks
//! and scheduled pulls reach public addresses; a department's systems on reserved addresses
//! (内网、本机) are reached only once their range is allowed here for the department, with its
//! purpose. The pool keeps and enforces the list; this only parses and prints.

use anyhow::Result;
use clap::Subcommand;
use tongban_identity::Identity;
use tongban_kernel::Principal;
use tongban_pool::Pool;

#[derive(Subcommand)]
pub enum EgressCommand {
    /// Allow the reserved range CIDR (e.g. 10.20.0.0/16) as a destination for a department's
    /// webhooks and pulls, and for the departments below it.
    Allow {
        /// The range: an address or ADDRESS/PREFIX (at least /8, IPv6 /32)
        cidr: String,
        /// The department's code, e.g. 9901-RS
        #[arg(long)]
        department: String,
        /// What it is for, e.g. "人社局业务库（定时抽取）"
        #[arg(long)]
        purpose: String,
    },
    /// Every allowed range: id, department, range, purpose, who allowed it.
    List {
        /// One JSON array instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Take a range off the list (deliveries and pulls to it stop at once).
    Remove {
        /// The entry's id
        id: String,
    },
}

fn platform() -> Principal {
    Principal::system("cli")
}

/// Carries out `cmd`.
pub async fn egress_command(identity: &Identity, pool: &Pool, cmd: EgressCommand) -> Result<()> {
    let actor = platform();
    match cmd {
        EgressCommand::Allow {
            cidr,
            department,
            purpose,
        } => {
            let dept = identity.department_by_code(&actor, &department).await?;
            let rule = pool.allow_egress(&actor, &dept.path, &cidr, &purpose).await?;
            println!("{}", rule.id);
            let name = crate::say::pick(dept.name_zh, dept.name_en);
            println!(
                "{}",
                say!(
                    "allowed",
                    cidr = rule.cidr.to_string(),
                    name = name,
                    purpose = rule.purpose.to_string()
                )
            );
        }
        EgressCommand::List { json } => {
            let rules = pool.egress_rules(&actor).await?;
            if json {
                println!("{}", serde_json::to_string(&rules)?);
            } else if rules.is_empty() {
                println!("{}", say!("no-ranges-allowed"));
            } else {
                let names = identity.department_names().await?;
                for r in rules {
                    let name = names
                        .iter()
                        .find(|(path, ..)| *path == r.department)
                        .map_or(r.department.as_str().to_owned(), |(_, zh, en)| {
                            crate::say::pick(zh.clone(), en.clone())
                        });
                    println!("{}  {}  {}  {}  {}", r.id, name, r.cidr, r.purpose, r.created_by);
                }
            }
        }
        EgressCommand::Remove { id } => {
            pool.remove_egress(&actor, &id).await?;
            println!("{}", say!("removed", id = id));
        }
    }
    Ok(())
}
