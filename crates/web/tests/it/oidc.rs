//! The OIDC provider against a standard relying-party library (the `openidconnect` crate): a
//! department system discovers the provider, sends a clerk through the portal's sign-in and
//! consent pages with PKCE, verifies the ES256 ID token and its nonce, reads userinfo, rotates
//! its refresh token (a reused one ends the family), and signs the person out. Attacks on the
//! flow — another redirect URI, an unknown client, a wrong PKCE verifier, a code used twice, a
//! logout without proof — are refused; an SM2 client gets ID tokens the JWK set verifies.

use crate::support::{PASSWORD, Server, browser, csrf_of, sets, sign_in};
use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use tongban_kernel::Principal;
use tongban_test_support::each_backend;

const CALLBACK: &str = "http://127.0.0.1:9/callback";

/// The address the provider's "returning" page sends the browser on to.
fn continue_url(page: &str) -> String {
    let at = page
        .find("id=\"continue\"")
        .map(|i| &page[..i])
        .unwrap_or_else(|| panic!("no continue link: {page}"));
    let href = &at[at.rfind("href=\"").unwrap() + 6..];
    unescape(&href[..href.find('"').unwrap()])
}

/// Undoes HTML escaping: `&amp;` and numeric references (`&#38;`, `&#x2F;`).
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find(';').unwrap();
        let entity = &tail[1..end];
        let ch = match entity {
            "amp" => '&',
            "quot" => '"',
            "lt" => '<',
            "gt" => '>',
            e if e.starts_with("#x") => char::from_u32(u32::from_str_radix(&e[2..], 16).unwrap()).unwrap(),
            e => char::from_u32(e[1..].parse().unwrap()).unwrap(),
        };
        out.push(ch);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

fn query_value(url: &str, key: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| {
            let mut out = Vec::new();
            let b = v.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' {
                    out.push(u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap());
                    i += 3;
                } else {
                    out.push(b[i]);
                    i += 1;
                }
            }
            String::from_utf8(out).unwrap()
        })
    })
}

fn claims_of(jwt: &str) -> serde_json::Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_standard_relying_party_signs_a_clerk_in_with_pkce_and_verifies_the_es256_id_token() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let sys = Principal::system("test");
        let rs = s.identity.department_by_code(&sys, "9901-GA").await.unwrap();
        let (client, secret) = s
            .oidc
            .add_client(&sys, &rs.id, "公安综合业务系统", &[CALLBACK.to_string()], "ES256")
            .await
            .unwrap();

        // Discovery, as a relying party reads it.
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let raw: serde_json::Value = http
            .get(s.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(raw["issuer"], s.base);
        assert_eq!(
            raw["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        let meta = CoreProviderMetadata::discover_async(IssuerUrl::new(s.base.clone()).unwrap(), &http)
            .await
            .expect("discovery");
        let rp = CoreClient::from_provider_metadata(
            meta,
            ClientId::new(client.client_id.clone()),
            Some(ClientSecret::new(secret.clone())),
        )
        .set_redirect_uri(RedirectUrl::new(CALLBACK.to_string()).unwrap());

        // The clerk signs in on the portal, then the system sends them to authorize.
        let person = browser();
        sign_in(&person, &s, "ga_clerk", PASSWORD).await;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = rp
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("department".into()))
            .add_scope(Scope::new("roles".into()))
            .set_pkce_challenge(challenge)
            .url();
        let consent = person.get(url.as_str()).send().await.unwrap();
        assert_eq!(consent.status(), 200);
        let consent = consent.text().await.unwrap();
        assert!(
            consent.contains("公安综合业务系统") && consent.contains("您所在的部门"),
            "{consent}"
        );
        // The answer is a form post (no script), with the request carried in hidden fields.
        let mut form: Vec<(String, String)> = vec![
            ("csrf".into(), csrf_of(&consent)),
            ("decision".into(), "allow".into()),
        ];
        for (k, v) in url.query_pairs() {
            form.push((k.into_owned(), v.into_owned()));
        }
        let back = person
            .post(s.url("/oidc/authorize"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(back.status(), 200);
        let to = continue_url(&back.text().await.unwrap());
        assert!(to.starts_with(CALLBACK), "{to}");
        assert_eq!(
            query_value(&to, "state").as_deref(),
            Some(state.secret().as_str())
        );
        let code = query_value(&to, "code").unwrap();

        // The library exchanges the code with the PKCE verifier and verifies the ID token.
        let tokens = rp
            .exchange_code(AuthorizationCode::new(code.clone()))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await
            .expect("token exchange");
        let id_token = tokens.id_token().expect("an ID token");
        let claims = id_token
            .claims(&rp.id_token_verifier(), &nonce)
            .expect("a valid ES256 ID token");
        let clerk = s.identity.principal_for_username("ga_clerk").await.unwrap();
        assert_eq!(claims.subject().as_str(), clerk.id);
        assert_eq!(claims.preferred_username().map(|u| u.as_str()), Some("ga_clerk"));
        let raw = claims_of(&id_token.to_string());
        assert_eq!(raw["department"], "9901-GA");
        assert_eq!(raw["roles"][0]["role"], "clerk");
        assert!(raw.get("id_number").is_none());

        // Userinfo with the access token.
        let info: CoreUserInfoClaims = rp
            .user_info(tokens.access_token().clone(), None)
            .unwrap()
            .request_async(&http)
            .await
            .expect("userinfo");
        assert_eq!(info.preferred_username().map(|u| u.as_str()), Some("ga_clerk"));

        // Refresh tokens rotate: the new one works, the old one used again ends the family.
        let first = tokens.refresh_token().unwrap().clone();
        let second = rp
            .exchange_refresh_token(&first)
            .unwrap()
            .request_async(&http)
            .await
            .expect("refresh");
        let third_token = second.refresh_token().unwrap().clone();
        assert!(
            rp.exchange_refresh_token(&first)
                .unwrap()
                .request_async(&http)
                .await
                .is_err(),
            "a used refresh token"
        );
        assert!(
            rp.exchange_refresh_token(&third_token)
                .unwrap()
                .request_async(&http)
                .await
                .is_err(),
            "the family ended when a used token came back"
        );

        // Consent is remembered: the next authorization goes straight back.
        let (challenge, _) = PkceCodeChallenge::new_random_sha256();
        let (url, _, _) = rp
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        let page = person
            .get(url.as_str())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(continue_url(&page).contains("code="), "{page}");

        // RP-initiated logout with the ID token ends the portal session and returns with state.
        let logout = format!(
            "/oidc/logout?id_token_hint={}&post_logout_redirect_uri={}&state=bye",
            id_token,
            CALLBACK.replace(':', "%3A").replace('/', "%2F")
        );
        let page = person
            .get(s.url(&logout))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let to = continue_url(&page);
        assert!(to.starts_with(CALLBACK) && to.contains("state=bye"), "{to}");
        let mine = person.get(s.url("/account")).send().await.unwrap();
        assert_eq!(mine.status(), 303, "signed out of the portal too");
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_flow_refuses_what_an_attacker_would_try() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let sys = Principal::system("test");
        let ga = s.identity.department_by_code(&sys, "9901-GA").await.unwrap();
        // Registration: only https or loopback http redirect URIs, a known algorithm.
        for bad in ["http://evil.example/cb", "https://x.example/cb#frag", "javascript:alert(1)"] {
            assert!(s.oidc.add_client(&sys, &ga.id, "x", &[bad.to_string()], "ES256").await.is_err(), "{bad}");
        }
        assert!(s.oidc.add_client(&sys, &ga.id, "x", &[CALLBACK.to_string()], "HS256").await.is_err());
        let (client, secret) = s.oidc.add_client(&sys, &ga.id, "业务系统", &[CALLBACK.to_string()], "ES256").await.unwrap();
        let person = browser();
        sign_in(&person, &s, "ga_clerk", PASSWORD).await;
        let verifier = "v".repeat(64);
        let challenge = tongban_identity::oidc::s256(&verifier);
        let authorize = |client_id: &str, redirect: &str, method: &str| {
            format!(
                "/oidc/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid&state=s1&code_challenge={challenge}&code_challenge_method={method}",
                redirect.replace(':', "%3A").replace('/', "%2F")
            )
        };
        // Another redirect URI or an unknown client: told on the page, never redirected.
        let r = person.get(s.url(&authorize(&client.client_id, "http://127.0.0.1:9/other", "S256"))).send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(!r.text().await.unwrap().contains("id=\"continue\""));
        let r = person.get(s.url(&authorize("tbo_unknown", CALLBACK, "S256"))).send().await.unwrap();
        assert_eq!(r.status(), 400);
        // No PKCE (or plain): the client hears invalid_request at its address.
        let page = person.get(s.url(&authorize(&client.client_id, CALLBACK, "plain"))).send().await.unwrap().text().await.unwrap();
        assert_eq!(query_value(&continue_url(&page), "error").as_deref(), Some("invalid_request"));
        // prompt=none for someone not signed in: login_required, no page.
        let stranger = browser();
        let page = stranger
            .get(s.url(&format!("{}&prompt=none", authorize(&client.client_id, CALLBACK, "S256"))))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(query_value(&continue_url(&page), "error").as_deref(), Some("login_required"));
        // A consent form without the CSRF token is refused; refusing consent tells the client.
        let consent = person.get(s.url(&authorize(&client.client_id, CALLBACK, "S256"))).send().await.unwrap().text().await.unwrap();
        let mut form: Vec<(String, String)> = vec![
            ("response_type".into(), "code".into()),
            ("client_id".into(), client.client_id.clone()),
            ("redirect_uri".into(), CALLBACK.into()),
            ("scope".into(), "openid".into()),
            ("state".into(), "s1".into()),
            ("code_challenge".into(), challenge.clone()),
            ("code_challenge_method".into(), "S256".into()),
            ("decision".into(), "allow".into()),
        ];
        assert_eq!(person.post(s.url("/oidc/authorize")).form(&form).send().await.unwrap().status(), 403);
        form.push(("csrf".into(), csrf_of(&consent)));
        form.retain(|(k, _)| k != "decision");
        form.push(("decision".into(), "deny".into()));
        let page = person.post(s.url("/oidc/authorize")).form(&form).send().await.unwrap().text().await.unwrap();
        assert_eq!(query_value(&continue_url(&page), "error").as_deref(), Some("access_denied"));
        form.retain(|(k, _)| k != "decision");
        form.push(("decision".into(), "allow".into()));
        let page = person.post(s.url("/oidc/authorize")).form(&form).send().await.unwrap().text().await.unwrap();
        let code = query_value(&continue_url(&page), "code").unwrap();

        let token = |params: Vec<(&'static str, String)>, secret: String| {
            let http = reqwest::Client::new();
            let url = s.url("/oidc/token");
            let id = client.client_id.clone();
            async move { http.post(url).basic_auth(id, Some(secret)).form(&params).send().await.unwrap() }
        };
        let exchange = |verifier: &str| {
            vec![
                ("grant_type", "authorization_code".to_string()),
                ("code", code.clone()),
                ("redirect_uri", CALLBACK.to_string()),
                ("code_verifier", verifier.to_string()),
            ]
        };
        // A wrong secret: 401 invalid_client with a challenge.
        let r = token(exchange(&verifier), "wrong".into()).await;
        assert_eq!(r.status(), 401);
        assert!(r.headers().contains_key("www-authenticate"));
        // A wrong verifier: invalid_grant (and the code is still unused).
        let r = token(exchange(&"w".repeat(64)), secret.clone()).await;
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "invalid_grant");
        let r = token(exchange(&verifier), secret.clone()).await;
        assert_eq!(r.status(), 200);
        let set: serde_json::Value = r.json().await.unwrap();
        assert_eq!(set["token_type"], "Bearer");
        // A second use of the code ends what the first issued.
        let r = token(exchange(&verifier), secret.clone()).await;
        assert_eq!(r.status(), 400);
        let info = reqwest::Client::new()
            .get(s.url("/oidc/userinfo"))
            .bearer_auth(set["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(info.status(), 401, "the access token of a replayed code is revoked");
        assert!(info.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
        // An unknown grant type, and no body at all.
        let r = token(vec![("grant_type", "password".into())], secret.clone()).await;
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "unsupported_grant_type");

        // A logout link without proof signs nobody out: the person is asked.
        let page = person.get(s.url("/oidc/logout?post_logout_redirect_uri=https%3A%2F%2Fevil.example")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(!page.text().await.unwrap().contains("id=\"continue\""), "no way on to the address given");
        assert_eq!(person.get(s.url("/account")).send().await.unwrap().status(), 200, "still signed in");

        // A disabled client signs nobody in.
        s.oidc.disable_client(&sys, &client.client_id).await.unwrap();
        let r = person.get(s.url(&authorize(&client.client_id, CALLBACK, "S256"))).send().await.unwrap();
        assert_eq!(r.status(), 400);
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn an_sm2_client_gets_id_tokens_the_jwk_set_verifies_and_keys_rotate_without_breaking_them() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let sys = Principal::system("test");
        let ga = s.identity.department_by_code(&sys, "9901-GA").await.unwrap();
        let (client, secret) = s.oidc.add_client(&sys, &ga.id, "国密系统", &[CALLBACK.to_string()], "SM2").await.unwrap();
        let person = browser();
        sign_in(&person, &s, "ga_clerk", PASSWORD).await;
        let verifier = "k".repeat(50);
        let url = format!(
            "/oidc/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20roles&nonce=n-1&code_challenge={}&code_challenge_method=S256",
            client.client_id,
            CALLBACK.replace(':', "%3A").replace('/', "%2F"),
            tongban_identity::oidc::s256(&verifier)
        );
        let consent = person.get(s.url(&url)).send().await.unwrap().text().await.unwrap();
        let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf_of(&consent)), ("decision".into(), "allow".into())];
        for (k, v) in [
            ("response_type", "code"),
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", CALLBACK),
            ("scope", "openid roles"),
            ("nonce", "n-1"),
            ("code_challenge_method", "S256"),
        ] {
            form.push((k.into(), v.into()));
        }
        form.push(("code_challenge".into(), tongban_identity::oidc::s256(&verifier)));
        let page = person.post(s.url("/oidc/authorize")).form(&form).send().await.unwrap().text().await.unwrap();
        let code = query_value(&continue_url(&page), "code").unwrap();
        let set: serde_json::Value = reqwest::Client::new()
            .post(s.url("/oidc/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", CALLBACK),
                ("code_verifier", verifier.as_str()),
                ("client_id", client.client_id.as_str()),
                ("client_secret", secret.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id_token = set["id_token"].as_str().unwrap().to_string();
        let jwks: serde_json::Value = reqwest::get(s.url("/oidc/jwks")).await.unwrap().json().await.unwrap();
        let verify = |jwks: &serde_json::Value| {
            jwks["keys"].as_array().unwrap().iter().find_map(|k| tongban_crypto::jws::verify_compact(k, &id_token))
        };
        let (header, claims) = verify(&jwks).expect("signed by a published SM2 key");
        assert_eq!(header["alg"], "SM2");
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(claims["aud"], client.client_id.as_str());

        // Rotation: new keys sign from now on; the old ones stay published for the tokens they
        // signed.
        let kids = s.oidc.rotate_keys(&sys).await.unwrap();
        let after: serde_json::Value = reqwest::get(s.url("/oidc/jwks")).await.unwrap().json().await.unwrap();
        assert_eq!(after["keys"].as_array().unwrap().len(), 4, "{after}");
        assert!(verify(&after).is_some(), "a token signed before the rotation still verifies");
        assert!(kids.iter().all(|k| after.to_string().contains(k.as_str())));
        s.stop().await;
    })
    .await;
}
