//! Accounts from the command line: users, API clients and departments.

use super::system;
use crate::cli::{ClientCommand, DepartmentCommand, UserCommand};
use anyhow::{Context, Result};
use tongban_identity::{DeptKind, Identity, NewDepartment, NewStaff, UserFilter};
use tongban_kernel::{Page, Role};

fn new_password(given: Option<String>) -> (String, bool) {
    match given {
        Some(p) => (p, false),
        None => {
            // Upper, lower, digit and symbol are always present, whatever the random part holds.
            let token = format!("Tb{}#7", tongban_crypto::token::url_token::<12>());
            (token, true)
        }
    }
}

pub(super) async fn user_command(identity: &Identity, cmd: UserCommand) -> Result<()> {
    let actor = system();
    match cmd {
        UserCommand::Add {
            username,
            display_name,
            department,
            roles,
            password,
        } => {
            let dept = identity.department_by_code(&actor, &department).await?;
            let roles = roles
                .iter()
                .map(|r| Role::parse(r).with_context(|| format!("unknown role {r}")))
                .collect::<Result<Vec<_>>>()?;
            let (password, generated) = new_password(password);
            let v = identity
                .create_staff(
                    &actor,
                    NewStaff {
                        username,
                        display_name,
                        password: password.clone(),
                        department: dept.id,
                        roles,
                        phone: None,
                        is_demo: false,
                    },
                )
                .await?;
            println!(
                "{}",
                say!(
                    "created-2",
                    username = v.username.to_string(),
                    id = v.id.to_string()
                )
            );
            if generated {
                println!("{}", say!("initial-password", password = password));
            }
        }
        UserCommand::List { department } => {
            let department = match department {
                Some(code) => Some(identity.department_by_code(&actor, &code).await?.id),
                None => None,
            };
            let mut offset = 0;
            loop {
                let list = identity
                    .list_users(
                        &actor,
                        &UserFilter {
                            department: department.clone(),
                            ..Default::default()
                        },
                        Page::new(500, offset),
                    )
                    .await?;
                for u in &list.items {
                    let roles: Vec<&str> = u.grants.iter().map(|g| g.role.code()).collect();
                    println!(
                        "{:<20} {:<10} {:<9} {:<16} {}{}",
                        u.username,
                        u.kind.code(),
                        u.status.code(),
                        u.department.as_ref().map_or("-", |d| d.code.as_str()),
                        roles.join(","),
                        if u.is_demo { "  [demo]" } else { "" }
                    );
                }
                offset += list.items.len() as u64;
                if list.items.is_empty() || offset >= list.total {
                    break;
                }
            }
        }
        UserCommand::Lock { username } => {
            let u = identity.get_user_by_username(&actor, &username).await?;
            identity.lock_account(&actor, &u.id).await?;
            println!("{}", say!("locked", username = username));
        }
        UserCommand::Unlock { username } => {
            let u = identity.get_user_by_username(&actor, &username).await?;
            identity.unlock_account(&actor, &u.id).await?;
            println!("{}", say!("unlocked", username = username));
        }
        UserCommand::ResetPassword { username, password } => {
            let u = identity.get_user_by_username(&actor, &username).await?;
            let (password, generated) = new_password(password);
            identity.reset_password(&actor, &u.id, &password).await?;
            println!("{}", say!("password-reset", username = username));
            if generated {
                println!("{}", say!("new-password", password = password));
            }
        }
    }
    Ok(())
}

pub(super) async fn client_command(identity: &Identity, cmd: ClientCommand) -> Result<()> {
    let actor = system();
    match cmd {
        ClientCommand::Add {
            department,
            name,
            scopes,
        } => {
            let dept = identity.department_by_code(&actor, &department).await?;
            let (client, secret) = identity
                .create_api_client(&actor, &dept.id, &name, &scopes)
                .await?;
            crate::say::registered_client(&client.name, &client.department.code, &client.client_id, &secret);
        }
        ClientCommand::List => {
            for c in identity.list_api_clients(&actor).await? {
                println!(
                    "{:<28} {:<16} {:<24} {}{}",
                    c.client_id,
                    c.department.code,
                    c.name,
                    c.scopes.join(" "),
                    if c.disabled { "  [disabled]" } else { "" }
                );
            }
        }
        ClientCommand::Disable { client_id } => {
            let c = identity
                .list_api_clients(&actor)
                .await?
                .into_iter()
                .find(|c| c.client_id == client_id)
                .with_context(|| format!("no client {client_id}"))?;
            identity.disable_api_client(&actor, &c.id).await?;
            println!("{}", say!("disabled-3", client_id = client_id));
        }
    }
    Ok(())
}

pub(super) async fn department_command(identity: &Identity, cmd: DepartmentCommand) -> Result<()> {
    let actor = system();
    match cmd {
        DepartmentCommand::Add {
            code,
            name_zh,
            name_en,
            parent,
        } => {
            let (parent, kind) = match parent {
                Some(code) => {
                    let p = identity.department_by_code(&actor, &code).await?;
                    let kind = if p.kind == DeptKind::City {
                        DeptKind::Department
                    } else {
                        DeptKind::Office
                    };
                    (Some(p.id), kind)
                }
                None => (None, DeptKind::City),
            };
            let d = identity
                .create_department(
                    &actor,
                    NewDepartment {
                        code,
                        name_zh,
                        name_en,
                        parent,
                        kind,
                    },
                )
                .await?;
            println!(
                "{}",
                say!(
                    "created-3",
                    code = d.code.to_string(),
                    name_zh = d.name_zh.to_string(),
                    path = d.path.as_str().to_string()
                )
            );
        }
        DepartmentCommand::List => {
            for d in identity.list_departments(&actor).await? {
                println!(
                    "{}{} {} / {}",
                    "  ".repeat(d.depth()),
                    d.code,
                    d.name_zh,
                    d.name_en
                );
            }
        }
    }
    Ok(())
}
