//! A real Redis for the tests: a `redis-server` the test starts on a free port (and can kill,
//! restart on the same port, pause and resume), or the one in `BOSUN_TEST_REDIS_URL`. The tests
//! fail, never skip, when neither can be had.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::eventually;

pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    pub url: String,
    /// False for a server given in `BOSUN_TEST_REDIS_URL` (it cannot be killed or paused).
    pub owned: bool,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            super::signal(child.id() as i32, nix::sys::signal::Signal::SIGCONT);
        }
        self.kill();
    }
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

impl RedisServer {
    /// The configured Redis, else a fresh `redis-server`.
    pub fn start() -> RedisServer {
        if let Ok(url) = std::env::var("BOSUN_TEST_REDIS_URL") {
            return RedisServer {
                child: None,
                port: 0,
                url,
                owned: false,
            };
        }
        Self::own()
    }

    /// Always a fresh `redis-server` of this test's own (for killing and pausing it).
    pub fn own() -> RedisServer {
        let mut server = RedisServer {
            child: None,
            port: free_port(),
            url: String::new(),
            owned: true,
        };
        server.url = format!("redis://127.0.0.1:{}/", server.port);
        server.restart();
        server
    }

    /// Starts the server (again) on its port.
    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "redis-server must be installed (or BOSUN_TEST_REDIS_URL set) for the Redis tests",
            );
        self.child = Some(child);
        let port = self.port;
        eventually(Duration::from_secs(10), "redis-server answers", || {
            ping(port)
        });
    }

    /// Kills the server (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes the server: connections are accepted by the kernel, nothing is answered.
    pub fn pause(&self) {
        let pid = self.child.as_ref().expect("an owned server").id() as i32;
        super::signal(pid, nix::sys::signal::Signal::SIGSTOP);
    }

    pub fn resume(&self) {
        let pid = self.child.as_ref().expect("an owned server").id() as i32;
        super::signal(pid, nix::sys::signal::Signal::SIGCONT);
    }

    pub fn client(&self) -> redis::Client {
        redis::Client::open(self.url.as_str()).expect("redis url")
    }

    /// Runs one command synchronously.
    pub fn cmd<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> T {
        let mut conn = self.client().get_connection().expect("connect to redis");
        cmd.query(&mut conn).expect("redis command")
    }

    /// Subscribes to `channel` on a thread; the payloads received so far are in the vector.
    pub fn subscriber(&self, channel: &str) -> Arc<Mutex<Vec<String>>> {
        let received = Arc::new(Mutex::new(Vec::new()));
        let mut stream = TcpStream::connect(self.url_addr()).expect("connect");
        write!(stream, "{}", resp(&["SUBSCRIBE", channel])).expect("subscribe");
        let mut reader = BufReader::new(stream);
        // Read the subscription confirmation before returning, so nothing published after is
        // missed.
        let frame = read_array(&mut reader).expect("subscribe reply");
        assert_eq!(frame.first().map(String::as_str), Some("subscribe"));
        let sink = received.clone();
        std::thread::spawn(move || {
            while let Some(frame) = read_array(&mut reader) {
                if frame.first().map(String::as_str) == Some("message") && frame.len() == 3 {
                    sink.lock().expect("lock").push(frame[2].clone());
                }
            }
        });
        received
    }

    fn url_addr(&self) -> String {
        self.url
            .trim_start_matches("redis://")
            .trim_end_matches('/')
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).is_ok() && line.starts_with("+PONG")
}

/// A RESP command, as `redis-cli` would send it.
fn resp(args: &[&str]) -> String {
    let mut out = format!("*{}\r\n", args.len());
    for a in args {
        out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    out
}

/// One RESP array of bulk strings (what a subscriber receives), `None` at end of stream.
fn read_array(reader: &mut impl BufRead) -> Option<Vec<String>> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let n: usize = line.trim().strip_prefix('*')?.parse().ok()?;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end().to_string();
        if let Some(len) = line.strip_prefix('$') {
            let len: usize = len.parse().ok()?;
            let mut buf = vec![0u8; len + 2];
            reader.read_exact(&mut buf).ok()?;
            buf.truncate(len);
            items.push(String::from_utf8_lossy(&buf).into_owned());
        } else if let Some(int) = line.strip_prefix(':') {
            items.push(int.to_string());
        } else {
            return None;
        }
    }
    Some(items)
}

/// A server that accepts connections and holds them open without ever answering: a Redis that
/// hangs rather than one that is down. Dropping it closes every socket.
pub struct SilentServer {
    pub url: String,
    addr: std::net::SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl SilentServer {
    pub fn start() -> SilentServer {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopping = stop.clone();
        std::thread::spawn(move || {
            let mut held: Vec<TcpStream> = Vec::new();
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                held.extend(stream.ok());
            }
        });
        SilentServer {
            url: format!("redis://{addr}/"),
            addr,
            stop,
        }
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wakes the accepting thread so it sees the flag and lets every socket go.
        let _ = TcpStream::connect(self.addr);
    }
}
