//! The demo server and the browser.

use headless_chrome::{Browser, LaunchOptions, Tab};
use std::ffi::OsStr;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

pub const PASSWORD: &str = "Tongban@2026";

/// A running `tongban demo` in its own data directory.
pub struct Demo {
    pub base: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Demo {
    pub fn start() -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tongban"))
            .args(["demo", "--listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(dir.path())
            .env("TONGBAN_LOG", "warn")
            .env("TONGBAN_DEMO_ROWS", "200")
            .env("TONGBAN_DEMO_CASES", "40")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let base = loop {
            let line = lines.next().expect("demo printed its address").unwrap();
            if let Some(at) = line.find("http://") {
                break line[at..].trim().trim_end_matches('/').to_string();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Demo {
            base,
            child,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Runs the command line on the demo's data (as its administrator would on the server) and
    /// returns what it printed.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = self.cli_output(args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs the command line on the demo's data, in English, whatever it answers.
    pub fn cli_output(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_tongban"))
            .args(args)
            .arg("--data-dir")
            .arg(self._dir.path())
            .env("TONGBAN_LOG", "warn")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", "en_US.UTF-8")
            .output()
            .unwrap()
    }

    /// A person's session token (demo password), through the API's sign-in as a client would
    /// get one.
    pub async fn api_token(&self, username: &str) -> String {
        let r: serde_json::Value = reqwest::Client::new()
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": PASSWORD }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token for {username}: {r}"))
            .to_string()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The verification code printed on demo licence `number`.
    pub fn licence_code(&self, number: &str) -> String {
        let list: serde_json::Value =
            serde_json::from_str(&self.cli(&["licence", "list", "--json"])).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .find(|l| l["number"] == number)
            .and_then(|l| l["code"].as_str())
            .unwrap_or_else(|| panic!("no code for {number}"))
            .to_string()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromium() -> Option<PathBuf> {
    std::env::var_os("TONGBAN_CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from))
        .find(|p| p.exists())
}

/// A headless browser (the browser tests are `#[ignore]`d, so run only when asked for; a
/// missing Chromium then fails them).
pub fn browser() -> Browser {
    let path = chromium().expect("Chromium: install Debian's `chromium` or set TONGBAN_CHROMIUM");
    let options = LaunchOptions::default_builder()
        .path(Some(path))
        .headless(true)
        .sandbox(false)
        .window_size(Some((1200, 900)))
        .idle_browser_timeout(Duration::from_secs(120))
        .args(vec![
            OsStr::new("--disable-gpu"),
            OsStr::new("--disable-background-networking"),
            OsStr::new("--disable-component-update"),
            OsStr::new("--disable-sync"),
            OsStr::new("--no-first-run"),
            OsStr::new("--lang=zh-CN"),
        ])
        .build()
        .unwrap();
    Browser::new(options).unwrap()
}

/// Fills the text field with id `id`.
pub fn fill(tab: &Arc<Tab>, id: &str, text: &str) {
    tab.wait_for_element(&format!("#{id}")).unwrap().click().unwrap();
    tab.type_str(text).unwrap();
}

/// Clicks the element matched by `selector` and waits until a new page has loaded: the old
/// document is marked first, so a navigation that has not started yet is never mistaken for one
/// that has finished.
pub fn click_and_wait(tab: &Arc<Tab>, selector: &str) {
    tab.evaluate("window.__tongban_old_page = true", false).unwrap();
    tab.wait_for_element(selector).unwrap().click().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let fresh = tab
            .evaluate(
                "window.__tongban_old_page === undefined && document.readyState === 'complete'",
                false,
            )
            .ok()
            .and_then(|r| r.value)
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if fresh {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no new page after clicking {selector}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The visible text of the page's `<main>`.
pub fn main_text(tab: &Arc<Tab>) -> String {
    tab.wait_for_element("main").unwrap().get_inner_text().unwrap()
}

/// The path (and query) of the page the browser shows.
pub fn path(tab: &Arc<Tab>) -> String {
    let v = tab
        .evaluate("location.pathname + location.search", false)
        .unwrap()
        .value;
    v.and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// Opens `path` on the demo in a new tab, with the interface in Chinese (the site's own switch).
pub fn open(browser: &Browser, demo: &Demo, path: &str) -> Arc<Tab> {
    let tab = browser.new_tab().unwrap();
    let to = format!(
        "/lang/zh?back={}",
        path.replace('/', "%2F").replace('?', "%3F").replace('=', "%3D")
    );
    tab.navigate_to(&demo.url(&to))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab
}

/// Signs in through the login form, asking to land on `next`.
pub fn sign_in(tab: &Arc<Tab>, demo: &Demo, username: &str, next: &str) {
    let to = format!("/login?next={}", next.replace('/', "%2F"));
    tab.navigate_to(&demo.url(&to))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    fill(tab, "username", username);
    fill(tab, "password", PASSWORD);
    click_and_wait(tab, "main button[type=submit]");
}

/// The current TOTP code for a base32 secret shown on the set-up page.
pub fn totp_now(secret: &str) -> String {
    let key = tongban_identity::totp::decode_secret(secret.trim()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    tongban_identity::totp::code_at(&key, now, 6)
}

/// Shows the tab as a 390 px wide phone screen.
pub fn phone(tab: &Arc<Tab>) {
    use headless_chrome::protocol::cdp::Emulation;
    tab.call_method(Emulation::SetDeviceMetricsOverride {
        width: 390,
        height: 844,
        device_scale_factor: 1.0,
        mobile: true,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })
    .unwrap();
}
