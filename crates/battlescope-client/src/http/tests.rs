//! What a real server does not do on demand — a proxy's error page, a
//! silent socket, a redirect loop, a body of the wrong shape, a long
//! `Retry-After` — answered by a canned server on a loopback socket. The
//! endpoints themselves are tested against the real API in
//! `platform/tests/client_sdk.rs`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

/// A server answering the `n`th request (its head as text) with the
/// answer `script` gives, or never when it gives `None`.
struct Canned {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Canned {
    async fn start(script: impl Fn(usize, &str) -> Option<String> + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let script = Arc::new(script);
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let seen = seen.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if socket.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let n = {
                        let mut seen = seen.lock().unwrap();
                        seen.push(head.clone());
                        seen.len() - 1
                    };
                    match script(n, &head) {
                        Some(answer) => {
                            let _ = socket.write_all(answer.as_bytes()).await;
                            let _ = socket.shutdown().await;
                        }
                        None => tokio::time::sleep(Duration::from_secs(60)).await,
                    }
                });
            }
        });
        Self { base, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn answer(status: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    out
}

fn json(status: &str, body: &str) -> String {
    answer(status, &[("content-type", "application/json")], body)
}

const EMPTY_PAGE: &str = r#"{"battles":[],"nextCursor":null}"#;

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn request_line(head: &str) -> &str {
    head.lines().next().unwrap()
}

#[test]
fn building_a_client_installs_no_process_wide_crypto_provider() {
    // reqwest built with `rustls-no-provider` panics without a provider
    // unless the client brings its own TLS configuration.
    let client = Client::new("https://battlescope.example/").unwrap();
    assert_eq!(client.base_url().as_str(), "https://battlescope.example/");
    assert!(rustls::crypto::CryptoProvider::get_default().is_none());
}

#[tokio::test]
async fn https_is_spoken_with_the_client_s_own_tls_configuration() {
    // A server that answers plain HTTP at once: the TLS handshake fails,
    // as an error (the configuration the client built is used, and
    // nothing panics).
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let _ = socket
            .write_all(json("200 OK", EMPTY_PAGE).as_bytes())
            .await;
    });
    let client = Client::new(&format!("https://{address}")).unwrap();
    let e = client.battles(&BattleFilter::new()).await.unwrap_err();
    assert!(matches!(e, ClientError::Transport { .. }), "{e:?}");
}

#[test]
fn a_base_url_must_be_http_without_query() {
    for bad in [
        "ftp://h/",
        "http://h/?key=1",
        "http://h/#top",
        "not a url",
        "/api",
    ] {
        let e = Client::new(bad).unwrap_err();
        assert!(matches!(e, ClientError::BaseUrl { .. }), "{bad}: {e:?}");
    }
    let client = Client::new("http://h:8080/battlescope").unwrap();
    assert_eq!(client.base_url().as_str(), "http://h:8080/battlescope/");
}

#[tokio::test]
async fn paths_go_below_the_base_and_the_user_agent_is_sent() {
    let server = Canned::start(|_, head| {
        Some(if head.contains("/api/search") {
            json("200 OK", r#"{"query":"jita 4-4","hits":[]}"#)
        } else {
            json("200 OK", EMPTY_PAGE)
        })
    })
    .await;
    let client = Client::new(&format!("{}/prefix/", server.base)).unwrap();
    client
        .battles(&BattleFilter::new().limit(3).system(30_000_142))
        .await
        .unwrap();
    let custom = Client::builder(&format!("{}/prefix", server.base))
        .user_agent("my-dashboard/2.0")
        .build()
        .unwrap();
    let results = custom
        .search(SearchQuery::new("jita 4-4").limit(2))
        .await
        .unwrap();
    assert_eq!(results.query, "jita 4-4");
    let requests = server.requests();
    assert_eq!(
        request_line(&requests[0]),
        "GET /prefix/api/battles?system=30000142&limit=3 HTTP/1.1"
    );
    assert_eq!(header(&requests[0], "user-agent"), Some(DEFAULT_USER_AGENT));
    assert_eq!(
        request_line(&requests[1]),
        "GET /prefix/api/search?q=jita+4-4&limit=2 HTTP/1.1"
    );
    assert_eq!(header(&requests[1], "user-agent"), Some("my-dashboard/2.0"));
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let server = Canned::start(|_, _| None).await;
    let client = Client::builder(&server.base)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = client.killmail(1).await.unwrap_err();
    assert!(
        matches!(&e, ClientError::Transport { source, .. } if source.is_timeout()),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn merges_are_followed_below_the_base_not_to_the_location() {
    let survivor = Uuid::from_u128(2);
    let server = Canned::start(move |n, _| {
        Some(match n {
            // The Location a server behind a proxy writes lacks the prefix.
            0 => answer(
                "308 Permanent Redirect",
                &[
                    ("location", &format!("/api/battles/{survivor}/timeline")),
                    ("content-type", "application/json"),
                ],
                &format!(r#"{{"mergedInto":"{survivor}"}}"#),
            ),
            _ => json(
                "200 OK",
                &format!(r#"{{"battleId":"{survivor}","minutes":[]}}"#),
            ),
        })
    })
    .await;
    let client = Client::new(&format!("{}/bs", server.base)).unwrap();
    let asked = Uuid::from_u128(1);
    let timeline = client.battle_timeline(asked).await.unwrap();
    assert_eq!(timeline.requested, asked);
    assert_eq!(timeline.merged_into, Some(survivor));
    assert_eq!(timeline.battle_id(), survivor);
    assert_eq!(timeline.value.battle_id, survivor);
    let requests = server.requests();
    assert_eq!(
        request_line(&requests[1]),
        format!("GET /bs/api/battles/{survivor}/timeline HTTP/1.1")
    );
}

#[tokio::test]
async fn a_merge_loop_stops() {
    let server = Canned::start(|n, _| {
        let next = Uuid::from_u128(n as u128 % 2 + 1);
        Some(json(
            "308 Permanent Redirect",
            &format!(r#"{{"mergedInto":"{next}"}}"#),
        ))
    })
    .await;
    let client = Client::new(&server.base).unwrap();
    let e = client.battle(Uuid::from_u128(2)).await.unwrap_err();
    assert!(
        matches!(
            e,
            ClientError::TooManyMerges {
                hops: MAX_MERGE_HOPS,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(server.requests().len(), MAX_MERGE_HOPS as usize + 1);
}

#[tokio::test]
async fn answers_that_are_not_the_api_s_are_unexpected() {
    let server = Canned::start(|n, _| {
        Some(match n {
            0 => answer(
                "502 Bad Gateway",
                &[("content-type", "text/html")],
                "<html>upstream down</html>",
            ),
            _ => json("200 OK", r#"{"battles":[],"nextCursor":5}"#),
        })
    })
    .await;
    let client = Client::new(&server.base).unwrap();
    let e = client.battles(&BattleFilter::new()).await.unwrap_err();
    assert!(
        matches!(&e, ClientError::UnexpectedAnswer { status, message, .. }
            if *status == StatusCode::BAD_GATEWAY && message.contains("upstream down")),
        "{e:?}"
    );
    let e = client.battles(&BattleFilter::new()).await.unwrap_err();
    assert!(
        matches!(&e, ClientError::UnexpectedAnswer { status: StatusCode::OK, path: Some(p), .. }
            if p == "nextCursor"),
        "{e:?}"
    );
}

const RATE_LIMITED: &str =
    r#"{"error":{"code":"rate_limited","parameter":null,"message":"too many requests"}}"#;

#[tokio::test]
async fn a_long_retry_after_is_returned_not_waited() {
    let server = Canned::start(|_, _| {
        Some(answer(
            "429 Too Many Requests",
            &[("content-type", "application/json"), ("retry-after", "120")],
            RATE_LIMITED,
        ))
    })
    .await;
    let client = Client::new(&server.base).unwrap();
    let started = Instant::now();
    let e = client.killmail(5).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(e.is_rate_limited(), "{e:?}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(e.code(), Some("rate_limited"));
    assert_eq!(server.requests().len(), 1, "not retried");
}

#[tokio::test]
async fn rate_limits_are_retried_as_often_as_configured() {
    let server = Canned::start(|_, _| {
        Some(answer(
            "429 Too Many Requests",
            &[("content-type", "application/json"), ("retry-after", "0")],
            RATE_LIMITED,
        ))
    })
    .await;
    let client = Client::builder(&server.base)
        .retry_rate_limited(RateLimitRetry {
            max_retries: 2,
            max_wait: Duration::from_secs(1),
        })
        .build()
        .unwrap();
    let e = client.alliance(1).await.unwrap_err();
    assert!(e.is_rate_limited(), "{e:?}");
    assert_eq!(
        server.requests().len(),
        3,
        "the first attempt and 2 retries"
    );
}

#[tokio::test]
async fn a_cursor_that_does_not_move_ends_the_walk_with_an_error() {
    let server = Canned::start(|_, _| {
        Some(json(
            "200 OK",
            r#"{"battles":[],"nextCursor":"1_00000000-0000-0000-0000-000000000001"}"#,
        ))
    })
    .await;
    let client = Client::new(&server.base).unwrap();
    let mut pages = client.battle_pages(BattleFilter::new());
    assert!(pages.next_page().await.unwrap().is_some());
    let e = pages.next_page().await.unwrap_err();
    assert!(matches!(e, ClientError::CursorRepeated { .. }), "{e:?}");
    assert_eq!(server.requests().len(), 2);
    assert!(
        request_line(&server.requests()[1])
            .contains("cursor=1_00000000-0000-0000-0000-000000000001"),
        "the second page is asked from the first's cursor"
    );
}
