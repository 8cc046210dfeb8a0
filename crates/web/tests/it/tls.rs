use crate::support::sets;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tongban_test_support::each_backend;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

async fn get_over_tls(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(fixture("ca-cert.pem")).unwrap();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).to_lowercase()
}

#[tokio::test]
async fn over_tls_responses_carry_hsts_and_cookies_are_secure() {
    each_backend(&sets(), |db| async move {
        let wiring = tongban_web::platform::Wiring::new(
            db.clone(),
            tongban_crypto::Keyring::ephemeral(),
            tongban_kernel::WorkCalendar::bundled(),
            std::env::temp_dir().join("tongban-lake-tls"),
        );
        let settings = tongban_web::WebSettings {
            tls: true,
            ..Default::default()
        };
        let state = tongban_web::AppState::new(wiring.services(settings, "https://127.0.0.1"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let files = tongban_web::TlsFiles {
            cert: fixture("test-cert.pem"),
            key: fixture("test-key.pem"),
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(tongban_web::serve(
            listener,
            tongban_web::router(state),
            Some(files),
            async move {
                let _ = rx.await;
            },
        ));
        let health = get_over_tls(addr, "/healthz").await;
        assert!(health.starts_with("http/1.1 200"), "{health}");
        assert!(health.contains("strict-transport-security: max-age=31536000"));
        assert!(
            !health.contains("set-cookie"),
            "a probe gets no cookies: {health}"
        );
        let login = get_over_tls(addr, "/login").await;
        let cookie = login
            .lines()
            .find(|l| l.starts_with("set-cookie: tb_csrf="))
            .expect("csrf cookie");
        assert!(cookie.contains("; secure"), "{cookie}");
        // A plain-HTTP client talking to the TLS port gets no page.
        let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
        plain
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), plain.read_to_end(&mut buf)).await;
        assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
        let _ = tx.send(());
        let _ = server.await;
    })
    .await;
}
