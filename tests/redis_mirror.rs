//! The Redis mirror's parts against a real `redis-server` (started here on a free port, or the
//! one in `BOSUN_TEST_REDIS_URL`) and real SQLite files: the revision-checked cache, the
//! breaker in front of a dead or silent server, and the event feed that fills gaps from SQLite.

mod support;

use std::time::Duration;

use bosun::mirror::{FeedItem, FeedStore, Keys, LinkError, Mirror, RedisLink, follow};
use bosun::protocol::{EngineEvent, EventEnvelope, Priority, StoreHealth, TaskId};
use bosun::store::{NewTask, Store, WriteOp, summary};
use support::redis::RedisServer;
use tokio_util::sync::CancellationToken;

const TIMEOUT: Duration = Duration::from_millis(50);

fn mirror(url: &str, root: &std::path::Path) -> Mirror {
    Mirror::new(Some(url), root, TIMEOUT)
        .expect("valid url")
        .expect("redis on")
}

#[tokio::test]
async fn the_cache_serves_a_value_only_at_the_revision_it_was_read_at() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let m = mirror(&server.url, dir.path());
    let key = m.keys().task(&TaskId::from("t-1"));
    m.cache.put(&key, 7, &"as of 7".to_string()).await;
    assert_eq!(
        m.cache.get::<String>(&key, 7).await.as_deref(),
        Some("as of 7")
    );
    assert_eq!(
        m.cache.get::<String>(&key, 8).await,
        None,
        "a newer revision makes the entry stale"
    );
    assert_eq!(m.cache.get::<String>(&key, 6).await, None);
    server.cmd::<()>(redis::cmd("DEL").arg(&key));
    assert_eq!(
        m.cache.get::<String>(&key, 7).await,
        None,
        "a flushed entry"
    );
}

#[tokio::test]
async fn projects_sharing_a_server_never_see_each_others_keys() {
    let server = RedisServer::start();
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    let (ma, mb) = (mirror(&server.url, a.path()), mirror(&server.url, b.path()));
    let id = TaskId::from("t-same");
    ma.cache
        .put(&ma.keys().task(&id), 1, &"a".to_string())
        .await;
    mb.cache
        .put(&mb.keys().task(&id), 1, &"b".to_string())
        .await;
    assert_eq!(
        ma.cache
            .get::<String>(&ma.keys().task(&id), 1)
            .await
            .as_deref(),
        Some("a")
    );
    assert_eq!(
        mb.cache
            .get::<String>(&mb.keys().task(&id), 1)
            .await
            .as_deref(),
        Some("b")
    );
    assert_ne!(
        Keys::for_project(a.path()).events(),
        Keys::for_project(b.path()).events()
    );
}

/// A server that accepts connections and never answers.
fn silent_server() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("redis://{}/", listener.local_addr().expect("addr"));
    (listener, url)
}

#[tokio::test]
async fn a_silent_server_costs_one_timeout_then_calls_fail_without_waiting() {
    let (_listener, url) = silent_server();
    let link = RedisLink::new(&url, TIMEOUT).expect("url");
    let first = link
        .query::<Option<String>>(redis::cmd("GET").arg("k"))
        .await;
    assert!(
        matches!(&first, Err(LinkError::Failed(m)) if m.contains("no answer")),
        "{first:?}"
    );
    assert!(link.is_down());
    assert!(matches!(*link.health().borrow(), StoreHealth::Down(_)));
    // While the breaker is open, calls are not even sent.
    for _ in 0..20 {
        let again = link
            .query::<Option<String>>(redis::cmd("GET").arg("k"))
            .await;
        assert_eq!(again, Err(LinkError::Down));
    }
}

#[tokio::test]
async fn the_link_reports_down_and_comes_back_when_the_server_does() {
    let mut server = RedisServer::own();
    let dir = tempfile::tempdir().expect("tempdir");
    let m = mirror(&server.url, dir.path());
    assert!(m.link.ping().await);
    assert_eq!(*m.link.health().borrow(), StoreHealth::Ok);
    server.kill();
    assert!(!m.link.ping().await);
    assert!(matches!(*m.link.health().borrow(), StoreHealth::Down(_)));
    server.restart();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !m.link.ping().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "redis never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(*m.link.health().borrow(), StoreHealth::Ok);
    let key = m.keys().task(&TaskId::from("t-1"));
    m.cache.put(&key, 1, &1).await;
    assert_eq!(
        m.cache.get::<i32>(&key, 1).await,
        Some(1),
        "caching works again"
    );
}

async fn store_with_task(dir: &std::path::Path) -> (Store, TaskId) {
    let store = Store::open(&dir.join("bosun.db")).await.expect("open");
    let id = TaskId::from("t-feed");
    let task = NewTask {
        id: id.clone(),
        description: "feed".into(),
        workflow: "shell".into(),
        workflow_reason: "test".into(),
        plan: "{}".into(),
        priority: Priority::Normal,
        inputs: "{}".into(),
        created_at: bosun::time::now_rfc3339(),
    };
    store
        .writer
        .write(vec![WriteOp::InsertTask(task)])
        .await
        .expect("insert");
    (store, id)
}

fn started(id: &TaskId) -> WriteOp {
    WriteOp::Event(EngineEvent::TaskStarted {
        task_id: id.clone(),
    })
}

async fn next_event(feed: &mut tokio::sync::mpsc::Receiver<FeedItem>) -> EventEnvelope {
    loop {
        let item = tokio::time::timeout(Duration::from_secs(10), feed.recv())
            .await
            .expect("an event within 10 s")
            .expect("the feed runs");
        if let FeedItem::Event(event) = item {
            return event;
        }
    }
}

#[tokio::test]
async fn the_feed_delivers_every_event_once_in_order_filling_gaps_from_sqlite() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, id) = store_with_task(dir.path()).await;
    let m = mirror(&server.url, dir.path());
    let from = summary::last_seq(&store.reader).await.expect("seq");
    let stop = CancellationToken::new();
    let feed_store = FeedStore {
        pool: store.reader.clone(),
        database: dir.path().join("bosun.db"),
    };
    let mut feed = follow(feed_store, Some(m.clone()), from, stop.clone());
    // Wait until the feed is live on Redis.
    loop {
        match tokio::time::timeout(Duration::from_secs(10), feed.recv()).await {
            Ok(Some(FeedItem::Source { live: true, .. })) => break,
            Ok(Some(_)) => {}
            other => panic!("the feed did not go live: {other:?}"),
        }
    }
    // Three events are committed; only the last is published (the others "lost").
    let mut events = store.writer.subscribe();
    store
        .writer
        .write(vec![started(&id), started(&id), started(&id)])
        .await
        .expect("write");
    let mut committed = Vec::new();
    for _ in 0..3 {
        committed.push(events.recv().await.expect("committed"));
    }
    m.publish(&committed[2]).await.expect("publish");
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(next_event(&mut feed).await);
    }
    assert_eq!(got, committed, "the gap was filled from SQLite, in order");
    // A repeated message is not delivered twice; the next one is.
    m.publish(&committed[1]).await.expect("publish");
    store.writer.write(vec![started(&id)]).await.expect("write");
    let fourth = events.recv().await.expect("committed");
    m.publish(&fourth).await.expect("publish");
    assert_eq!(next_event(&mut feed).await, fourth);
    stop.cancel();
}

#[tokio::test]
async fn without_redis_the_feed_follows_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, id) = store_with_task(dir.path()).await;
    let from = summary::last_seq(&store.reader).await.expect("seq");
    let stop = CancellationToken::new();
    let feed_store = FeedStore {
        pool: store.reader.clone(),
        database: dir.path().join("bosun.db"),
    };
    let mut feed = follow(feed_store, None, from, stop.clone());
    store.writer.write(vec![started(&id)]).await.expect("write");
    let event = next_event(&mut feed).await;
    assert_eq!(event.seq, from + 1);
    assert_eq!(event.event.task_id(), &id);
    stop.cancel();
}
