//! A running server with a small seeded city: 公安局 (GA) and 民政局 (MZ), a clerk in each, a
//! sys admin and a citizen. Everyone's password is `PASSWORD`.

use std::sync::Arc;
use tongban_db::Db;
use tongban_identity::{CitizenRegistration, DeptKind, Identity, NewDepartment, NewStaff};
use tongban_kernel::{IdNumber, Principal, Role};

pub const PASSWORD: &str = "Tongban@2026";

/// Every crate's migrations, as `serve` applies them.
pub fn sets() -> Vec<&'static [tongban_db::Migration]> {
    tongban_web::platform::migrations()
}

pub struct Server {
    pub base: String,
    pub identity: Identity,
    pub oidc: tongban_identity::oidc::Oidc,
    pub pool: tongban_pool::Pool,
    pub interact: tongban_interact::Interact,
    pub seals: tongban_seal::Seals,
    pub hall: tongban_hall::Hall,
    catalog: tongban_catalog::Catalog,
    /// The hall's and the interaction service's clock in milliseconds; 0 follows the real time
    /// (see [`Server::set_today`]).
    now: Arc<std::sync::atomic::AtomicI64>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// Two-step keys set up by [`sign_in_with_mfa`], by username, with the last step used.
    totp: std::sync::Mutex<std::collections::HashMap<String, (Vec<u8>, i64)>>,
}

impl Server {
    pub async fn start(db: Db) -> Server {
        Self::start_with(db, |_| {}).await
    }

    pub async fn start_with(db: Db, tweak: impl FnOnce(&mut tongban_web::WebSettings)) -> Server {
        let now = Arc::new(std::sync::atomic::AtomicI64::new(0));
        let clock = now.clone();
        // One calendar for every service, as `serve` has: a year entered reaches them all. The
        // hall and the interaction service follow `now` once a test sets it.
        let wiring = tongban_web::platform::Wiring::new(
            db.clone(),
            tongban_crypto::Keyring::ephemeral(),
            tongban_kernel::WorkCalendar::bundled(),
            std::env::temp_dir().join(format!("tongban-lake-{}", tongban_kernel::id::new_uuid_v7())),
        )
        .clock(move || match clock.load(std::sync::atomic::Ordering::SeqCst) {
            0 => tongban_kernel::Millis::now(),
            set => tongban_kernel::Millis(set),
        });
        let mut settings = tongban_web::WebSettings::default();
        tweak(&mut settings);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let services = wiring.services(settings, &base);
        seed(&services.identity).await;
        let identity = services.identity.clone();
        let oidc = services.oidc.clone();
        let pool = services.pool.clone();
        let interact = services.interact.clone();
        let seals = services.seals.clone();
        let hall = services.hall.clone();
        let catalog = services.catalog.clone();
        let state = tongban_web::AppState::new(services);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = rx.await;
            };
            tongban_web::serve(listener, tongban_web::router(state), None, shutdown)
                .await
                .unwrap();
        });
        Server {
            base,
            identity,
            oidc,
            pool,
            interact,
            seals,
            hall,
            catalog,
            now,
            stop: Some(tx),
            task: Some(task),
            totp: Default::default(),
        }
    }

    /// Moves the service hall's and the interaction service's clock to 10:00 (Shanghai) on `day`.
    pub fn set_today(&self, day: jiff::civil::Date) {
        let at = day
            .at(10, 0, 0, 0)
            .to_zoned(tongban_kernel::time::zone("Asia/Shanghai"))
            .unwrap()
            .timestamp()
            .as_millisecond();
        self.now.store(at, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn catalog(&self) -> &tongban_catalog::Catalog {
        &self.catalog
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

async fn seed(identity: &Identity) {
    let sys = Principal::system("test");
    let dept = |code: &str, zh: &str, parent: Option<tongban_identity::DeptId>, kind| NewDepartment {
        code: code.into(),
        name_zh: zh.into(),
        name_en: match code {
            "9901" => "Demo City",
            "9901-GA" => "Public Security Bureau",
            _ => "",
        }
        .into(),
        parent,
        kind,
    };
    let city = identity
        .create_department(&sys, dept("9901", "示范市", None, DeptKind::City))
        .await
        .unwrap();
    let ga = identity
        .create_department(
            &sys,
            dept("9901-GA", "公安局", Some(city.id.clone()), DeptKind::Department),
        )
        .await
        .unwrap();
    let mz = identity
        .create_department(
            &sys,
            dept("9901-MZ", "民政局", Some(city.id.clone()), DeptKind::Department),
        )
        .await
        .unwrap();
    for (username, d, role) in [
        ("ga_clerk", &ga, Role::Clerk),
        ("ga_colleague", &ga, Role::Reviewer),
        ("mz_clerk", &mz, Role::Clerk),
        ("sysadmin", &city, Role::SysAdmin),
        ("secadmin", &city, Role::SecurityAdmin),
    ] {
        identity
            .create_staff(
                &sys,
                NewStaff {
                    username: username.into(),
                    display_name: username.into(),
                    password: PASSWORD.into(),
                    department: d.id.clone(),
                    roles: vec![role],
                    phone: None,
                    is_demo: false,
                },
            )
            .await
            .unwrap();
    }
    let id = IdNumber::with_check("99010119900307123").unwrap();
    identity
        .register_citizen(
            &sys,
            CitizenRegistration {
                username: "citizen1".into(),
                password: PASSWORD.into(),
                real_name: "张晓明".into(),
                id_number: id.as_str().into(),
                phone: None,
                display_name: None,
                is_demo: false,
            },
        )
        .await
        .unwrap();
}

/// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Posts a form as a browser does and follows a 303 to the page it names (a GET), as a browser
/// does after an application's answer is saved; any other response is returned as it is.
pub async fn post_and_follow(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    form: &[(String, String)],
) -> reqwest::Response {
    let r = client
        .post(format!("{base}{path}"))
        .form(form)
        .send()
        .await
        .unwrap();
    followed(client, base, r).await
}

/// `r`, or after a 303 the page it names (a GET), as a browser goes on.
pub async fn followed(client: &reqwest::Client, base: &str, r: reqwest::Response) -> reqwest::Response {
    if r.status() != reqwest::StatusCode::SEE_OTHER {
        return r;
    }
    let to = r.headers()["location"].to_str().unwrap().to_string();
    client.get(format!("{base}{to}")).send().await.unwrap()
}

/// Gets a page as a browser does, following a 303 (the start of an application sends the
/// browser to its first page).
pub async fn get_and_follow(client: &reqwest::Client, base: &str, path: &str) -> reqwest::Response {
    let r = client.get(format!("{base}{path}")).send().await.unwrap();
    followed(client, base, r).await
}

/// The CSRF token in a page's first form.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("page has a csrf field");
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// Signs in through the login form; returns the response of the POST.
pub async fn sign_in(
    client: &reqwest::Client,
    s: &Server,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let page = client
        .get(s.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    client
        .post(s.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
            ("next", "/account"),
        ])
        .send()
        .await
        .unwrap()
}

/// A bearer token for `username` from the JSON API.
pub async fn api_token(s: &Server, username: &str) -> String {
    let r: serde_json::Value = reqwest::Client::new()
        .post(s.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": username, "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["token"].as_str().expect("token").to_string()
}

/// Adds staff member `username` (password [`PASSWORD`]) to the department `dept_code` with
/// `role`, and returns the department.
pub async fn add_staff(
    s: &Server,
    username: &str,
    dept_code: &str,
    role: Role,
) -> tongban_identity::Department {
    let sys = Principal::system("test");
    let dept = s.identity.department_by_code(&sys, dept_code).await.unwrap();
    s.identity
        .create_staff(
            &sys,
            NewStaff {
                username: username.into(),
                display_name: username.into(),
                password: PASSWORD.into(),
                department: dept.id.clone(),
                roles: vec![role],
                phone: None,
                is_demo: false,
            },
        )
        .await
        .unwrap();
    dept
}

/// Signs in an administrator who must use two-step verification: sets it up on the first
/// sign-in, and on later ones answers with the next unused code.
pub async fn sign_in_with_mfa(client: &reqwest::Client, s: &Server, username: &str) {
    let r = sign_in(client, s, username, PASSWORD).await;
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let now = jiff::Timestamp::now().as_second() / tongban_identity::totp::STEP_SECS;
    if to.starts_with("/mfa/setup") {
        let page = client
            .get(s.url("/mfa/setup"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let at = page.find("id=\"totp-secret\">").unwrap() + "id=\"totp-secret\">".len();
        let secret = &page[at..at + page[at..].find('<').unwrap()];
        let key = tongban_identity::totp::decode_secret(secret).unwrap();
        let code = tongban_identity::totp::code_at(&key, now * tongban_identity::totp::STEP_SECS, 6);
        let r = client
            .post(s.url("/mfa/setup"))
            .form(&[
                ("csrf", csrf_of(&page).as_str()),
                ("code", code.as_str()),
                ("next", "/console"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "two-step verification set up");
        s.totp.lock().unwrap().insert(username.into(), (key, now));
    } else {
        assert!(to.starts_with("/mfa"), "{username} needs no second factor: {to}");
        let code = next_code(s, username);
        let page = client
            .get(s.url("/mfa"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let r = client
            .post(s.url("/mfa"))
            .form(&[
                ("csrf", csrf_of(&page).as_str()),
                ("code", code.as_str()),
                ("next", "/console"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "second factor accepted");
    }
}

/// The next unused code of `username`'s two-step key: a code once accepted is never accepted
/// again, so each sign-in takes the next step (the window allows one step ahead).
fn next_code(s: &Server, username: &str) -> String {
    let now = jiff::Timestamp::now().as_second() / tongban_identity::totp::STEP_SECS;
    let mut keys = s.totp.lock().unwrap();
    let (key, last) = keys.get_mut(username).expect("set up earlier in this test");
    *last = (*last + 1).max(now);
    tongban_identity::totp::code_at(key, *last * tongban_identity::totp::STEP_SECS, 6)
}

/// A bearer token for an administrator who must use two-step verification (set up in the
/// browser on the way), with the code sent to `/api/v1/auth/mfa`.
pub async fn api_token_with_mfa(s: &Server, username: &str) -> String {
    sign_in_with_mfa(&browser(), s, username).await;
    let token = api_token(s, username).await;
    let code = next_code(s, username);
    let r = reqwest::Client::new()
        .post(s.url("/api/v1/auth/mfa"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "second factor accepted");
    token
}

/// A seal of 公安局 named `name`, valid 2026–2035.
pub async fn police_seal(s: &Server, name: &str, seal_type: tongban_seal::SealType) -> tongban_seal::Seal {
    let sys = Principal::system("test");
    let ga = s.identity.department_by_code(&sys, "9901-GA").await.unwrap();
    s.seals
        .create_seal(
            &sys,
            tongban_seal::Issuer {
                id: ga.id.to_string(),
                path: ga.path.clone(),
                name_zh: "示范市公安局".into(),
            },
            tongban_seal::SealInput {
                name: name.into(),
                seal_type,
                valid_from: jiff::civil::date(2026, 1, 1),
                valid_to: jiff::civil::date(2035, 12, 31),
                picture: None,
            },
        )
        .await
        .unwrap()
}

/// Publishes 公安局's household register `9901-GA-0001` (ID number and name personal, district
/// internal; conditionally shared) and returns the resource.
pub async fn publish_household_register(s: &Server) -> tongban_catalog::Resource {
    let sys = Principal::system("test");
    let ga = s.identity.department_by_code(&sys, "9901-GA").await.unwrap();
    let input: tongban_catalog::ResourceInput = serde_json::from_value(serde_json::json!({
        "code": "9901-GA-0001", "name_zh": "户籍人口基本信息",
        "provider": { "id": ga.id.as_str(), "path": ga.path, "name_zh": "公安局" },
        "summary": "户籍人口", "classification": { "class": "basic", "category": "RK", "item": "HJ" }, "format": "table",
        "fields": [
            { "code": "id_number", "name_zh": "公民身份号码", "data_type": "string", "sensitivity": "personal", "is_key": true, "standardizer": "id_number" },
            { "code": "name", "name_zh": "姓名", "data_type": "string", "sensitivity": "personal" },
            { "code": "district", "name_zh": "区县", "data_type": "string", "sensitivity": "internal" }
        ],
        "sharing": { "class": "conditional", "condition": "依法履职", "legal_basis": "《居民身份证法》" },
        "open_class": "not_open", "update_cycle": "daily"
    }))
    .unwrap();
    let r = s.catalog().create_resource(&sys, input).await.unwrap();
    s.catalog().publish_resource(&sys, &r.id).await.unwrap();
    r
}

/// A client token of `dept` with `scopes`.
pub async fn system_token(s: &Server, dept: &str, scopes: &[&str]) -> String {
    let sys = Principal::system("test");
    let d = s.identity.department_by_code(&sys, dept).await.unwrap();
    let scopes: Vec<String> = scopes.iter().map(|x| x.to_string()).collect();
    let (client, secret) = s
        .identity
        .create_api_client(&sys, &d.id, "业务系统", &scopes)
        .await
        .unwrap();
    s.identity
        .issue_token(&client.client_id, &secret, &[])
        .await
        .unwrap()
        .token
}
