//! A real `redis-server`, started on a free loopback port for one test and killed with it.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`; killed when dropped.
pub struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// Starts `redis-server` without persistence on a free loopback port. Fails the test, naming
    /// the Debian package, when `redis-server` is not on the PATH.
    pub fn start() -> RedisServer {
        for _attempt in 0..5 {
            // A port the system just handed out and we released: free unless someone races us.
            let port = {
                let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
                listener.local_addr().unwrap().port()
            };
            let child = match Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
            {
                Ok(child) => child,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                    "redis-server is not on the PATH: install the Debian package `redis-server` \
                     (apt-get install -y redis-server); these tests need a real Redis"
                ),
                Err(e) => panic!("could not start redis-server: {e}"),
            };
            let mut server = RedisServer { child, port };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = server.child.try_wait() {
                    break; // exited: most likely the port was taken; try another
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return server;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = server.child.kill();
        }
        panic!("redis-server did not start on a free loopback port in 5 attempts");
    }

    /// `redis://127.0.0.1:<port>/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
