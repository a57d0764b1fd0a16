//! A real PostgreSQL on a free loopback port in a fresh data directory (Debian's `postgresql`
//! package: `initdb`, then `postgres`): a cluster a test owns and stops ([`PgServer::start`]), or
//! a fresh database on the one cluster a test binary shares ([`PgServer::database`]).
//!
//! As root, the server runs as the `postgres` user (it refuses root), through `setpriv`, which
//! execs it: the child's pid is the server's. The shared cluster lives in a static, which is
//! never dropped, so a watchdog process stops it (by pid) once the test binary has exited.

use crate::free_port;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A database of its own for one test, on the cluster the test binary shares.
#[derive(Debug)]
pub struct PgDatabase {
    port: u16,
    name: String,
}

impl PgDatabase {
    /// `postgres://buzzin@127.0.0.1:PORT/NAME`.
    pub fn url(&self) -> String {
        self.url_via(self.port)
    }

    /// The database's URL through another loopback port (a relay's) to the same server.
    pub fn url_via(&self, port: u16) -> String {
        format!("postgres://buzzin@127.0.0.1:{port}/{}", self.name)
    }

    /// The server's address.
    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

/// A running PostgreSQL; stopped (fast shutdown, then SIGKILL) when dropped, its data removed.
pub struct PgServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    bin: PathBuf,
    settings: Vec<String>,
}

/// The folder of `initdb` and `postgres`: `$BUZZIN_PG_BINDIR`, else the newest
/// `/usr/lib/postgresql/*/bin`, else the PATH's.
fn bindir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BUZZIN_PG_BINDIR") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").is_file() && p.join("postgres").is_file())
    })
}

fn missing() -> ! {
    panic!(
        "PostgreSQL's initdb and postgres were not found: install the Debian package \
         `postgresql` (apt-get install -y postgresql; .ci/postgres.sh does it), or name their \
         folder in BUZZIN_PG_BINDIR; these tests need a real PostgreSQL"
    )
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `program` as a command run by the `postgres` user when we are root (through setpriv, which
/// execs it), as ourselves otherwise.
fn as_server_user(program: &Path) -> Command {
    if running_as_root() {
        let mut command = Command::new("setpriv");
        command
            .args([
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                "--",
            ])
            .arg(program);
        command
    } else {
        Command::new(program)
    }
}

impl PgServer {
    /// Starts a new cluster on a free loopback port. Fails the test, naming the Debian package,
    /// when PostgreSQL is not installed.
    pub fn start() -> PgServer {
        Self::start_with(&[])
    }

    /// A new, empty database on the one cluster this test binary shares, which starts on first
    /// use: one `initdb` per binary rather than per test. A test that stops or restarts its
    /// server, or changes its settings, starts its own with [`start`](Self::start).
    pub fn database() -> PgDatabase {
        static SHARED: OnceLock<Mutex<PgServer>> = OnceLock::new();
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let shared = SHARED.get_or_init(|| {
            let server = PgServer::start();
            server.stop_when_this_process_exits();
            Mutex::new(server)
        });
        // One CREATE DATABASE at a time: each copies template1.
        let server = shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let name = format!("test_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let out = Command::new(server.bin.join("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &server.port.to_string(),
                "-U",
                "buzzin",
            ])
            .arg(&name)
            .output()
            .expect("run createdb");
        assert!(
            out.status.success(),
            "createdb {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        PgDatabase {
            port: server.port,
            name,
        }
    }

    /// Starts a watchdog process that waits for this process to exit, then stops the server by
    /// its pid (fast shutdown, SIGKILL after 10 s) and removes its data.
    // The watchdog outlives this process by design; init reaps it once it has stopped the server.
    #[allow(clippy::zombie_processes)]
    fn stop_when_this_process_exits(&self) {
        let pid = self.pid().expect("the server runs");
        let script = r#"while kill -0 "$1" 2>/dev/null; do sleep 0.2; done
kill -INT "$2" 2>/dev/null
i=0
while kill -0 "$2" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.2; i=$((i+1)); done
kill -KILL "$2" 2>/dev/null
rm -rf "$3""#;
        Command::new("sh")
            .args(["-c", script, "buzzin-pg-watchdog"])
            .arg(std::process::id().to_string())
            .arg(pid.to_string())
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the PostgreSQL watchdog");
    }

    /// Starts a new cluster with server settings on top of the tests' (`max_connections=8`…).
    pub fn start_with(settings: &[&str]) -> PgServer {
        let bin = bindir().unwrap_or_else(|| missing());
        let dir = std::env::temp_dir().join(format!(
            "buzzin-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).expect("create the data directory");
        if running_as_root() {
            let owned = Command::new("chown")
                .arg("postgres:postgres")
                .arg(&dir)
                .status()
                .expect("chown");
            assert!(
                owned.success(),
                "no `postgres` user to run the server as (the Debian package `postgresql` \
                 creates it)"
            );
        }
        let data = dir.join("data");
        let out = as_server_user(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "buzzin",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ])
            .output()
            .unwrap_or_else(|_| missing());
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for _attempt in 0..5 {
            let port = free_port();
            let mut server = PgServer {
                child: None,
                port,
                dir: dir.clone(),
                bin: bin.clone(),
                settings: settings.iter().map(|s| (*s).to_owned()).collect(),
            };
            server.spawn();
            if server.wait_ready(&bin) {
                return server;
            }
            server.stop();
        }
        panic!("PostgreSQL did not start on a free loopback port in 5 attempts");
    }

    /// Runs the server on its data directory and port.
    fn spawn(&mut self) {
        let mut command = as_server_user(&self.bin.join("postgres"));
        command
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-k")
            .arg(&self.dir)
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .args(["-c", "max_connections=300", "-c", "full_page_writes=off"]);
        for setting in &self.settings {
            command.args(["-c", setting]);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|_| missing());
        self.child = Some(child);
    }

    /// Stops the server at once, as `pg_ctl stop -m immediate` does (SIGQUIT, by pid): no
    /// shutdown checkpoint, every connection cut; the next start recovers from the WAL.
    pub fn stop_immediately(&mut self) {
        self.stop_with("-QUIT");
    }

    /// Starts the server again on its data and port (after [`stop_immediately`](Self::stop_immediately)).
    pub fn start_again(&mut self) {
        for _attempt in 0..50 {
            self.spawn();
            let bin = self.bin.clone();
            if self.wait_ready(&bin) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("PostgreSQL did not start again on port {}", self.port);
    }

    fn wait_ready(&mut self, bin: &Path) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(|c| c.try_wait()) {
                self.child = None;
                return false; // exited: most likely the port was taken
            }
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ready {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// `postgres://buzzin@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://buzzin@127.0.0.1:{}/postgres", self.port)
    }

    /// The server's pid (the postmaster's).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Fast shutdown (SIGINT, by pid), then SIGKILL after 10 s.
    pub fn stop(&mut self) {
        self.stop_with("-INT");
    }

    /// Sends `signal` to the server (by pid), then SIGKILL if it still runs after 10 s.
    fn stop_with(&mut self, signal: &str) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
