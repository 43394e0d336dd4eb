//! A slow-client flood, as one attacker's process would send it, against the real server
//! on the loopback address only: connections that send half a request head and go quiet.
//! The server keeps answering others, closes what is over one address's share at once
//! and the rest when they stay silent, and refuses a declared oversized body before
//! reading it. Every loop here is bounded in count and time.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const FLOOD: usize = 300;
const SHARE: usize = 32;

async fn connect_from(source: IpAddr, server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    socket.connect(server).await
}

/// Whether the server has closed this connection (EOF or reset) within `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 256];
    matches!(
        tokio::time::timeout(wait, stream.read(&mut buf)).await,
        Ok(Ok(0) | Err(_))
    )
}

/// One `GET /healthz` from the ordinary address; how long it took, if it answered.
async fn healthz(server: SocketAddr) -> Option<Duration> {
    let started = Instant::now();
    let mut s = connect_from(IpAddr::V4(Ipv4Addr::LOCALHOST), server)
        .await
        .ok()?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .ok()?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut answer))
        .await
        .ok()?
        .ok()?;
    String::from_utf8_lossy(&answer)
        .starts_with("HTTP/1.1 200")
        .then(|| started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_flood_does_not_take_the_server_down() {
    let store = hamafza_store::testing::fresh(hamafza_store::Engine::Sqlite)
        .await
        .expect("store");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = hamafza_web::Limits {
        idle: Duration::from_secs(2),
        per_address: SHARE,
        total: 4096,
    };
    let serving = tokio::spawn(hamafza_web::serve_with(
        listener,
        hamafza_web::AppState::new(store),
        limits,
        async {
            let _ = stopped.await;
        },
    ));

    // The flood: half a request head each, then silence.
    let mut held = Vec::new();
    for _ in 0..FLOOD {
        let Ok(mut s) = connect_from(ATTACKER, server).await else {
            continue;
        };
        let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ").await;
        held.push(s);
    }
    assert_eq!(held.len(), FLOOD, "the kernel accepted every connection");

    // Others are still answered, fast.
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let took = healthz(server)
            .await
            .expect("/healthz answers during the flood");
        slowest = slowest.max(took);
    }
    assert!(
        slowest < Duration::from_millis(100),
        "/healthz took {slowest:?} during the flood"
    );

    // Everything over the attacker's share was closed at once.
    let mut closed_at_once = 0;
    for s in &mut held {
        if closed_within(s, Duration::from_millis(50)).await {
            closed_at_once += 1;
        }
    }
    assert!(
        closed_at_once >= FLOOD - SHARE,
        "{closed_at_once} of {FLOOD} closed at once; the share is {SHARE}"
    );
    // The rest are closed once they have been silent for the idle limit.
    tokio::time::sleep(limits.idle).await;
    let mut still_open = 0;
    for s in &mut held {
        if !closed_within(s, Duration::from_secs(3)).await {
            still_open += 1;
        }
    }
    assert_eq!(still_open, 0, "silent connections are closed");
    drop(held);

    // A declared 10 GB body is refused at once, before any of it is sent.
    let mut s = connect_from(IpAddr::V4(Ipv4Addr::LOCALHOST), server)
        .await
        .expect("connect");
    s.write_all(
        b"POST /api/v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n",
    )
    .await
    .expect("write");
    let mut head = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut head))
        .await
        .expect("answered without the body")
        .expect("read");
    let head = String::from_utf8_lossy(&head[..n]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");

    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(5), serving).await;
}
