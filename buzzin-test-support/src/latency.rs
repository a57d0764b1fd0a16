//! A TCP relay on loopback that holds every chunk back a moment before passing it on, so that
//! a client's every network `.await` suspends, however idle or busy the machine is.
//!
//! A cancellation probe drops a future after each number of polls; on a busy machine a
//! server's answer can already wait in the socket at the first poll, and the future then
//! finishes without ever suspending. Through this relay it cannot.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A running relay; stops accepting, and cuts its connections, when dropped.
pub struct LatencyProxy {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl LatencyProxy {
    /// Relays connections on a free loopback port to `upstream`, each chunk `delay` late.
    pub async fn start(upstream: SocketAddr, delay: Duration) -> LatencyProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the relay");
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                connections.spawn(relay(client_read, server_write, delay));
                connections.spawn(relay(server_read, client_write, delay));
            }
        });
        LatencyProxy { addr, task }
    }

    /// The relay's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for LatencyProxy {
    fn drop(&mut self) {
        // The JoinSet inside goes with the task: every relay stops.
        self.task.abort();
    }
}

/// Copies `from` to `to`, each chunk `delay` after it was read; ends at EOF or an error.
async fn relay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buffer).await {
        tokio::time::sleep(delay).await;
        if to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
