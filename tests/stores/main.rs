//! The delivery stores, one binary: `MemoryStore` and `handle_once`, `RedisStore` (plain, TLS,
//! Cluster, several replicas) and `PgStore`, each on a real server on a free loopback port.

mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis-cluster")]
mod redis_cluster;
#[cfg(feature = "redis-tls")]
mod redis_tls;
#[cfg(all(feature = "redis", feature = "axum", feature = "client"))]
mod replicas;

#[test]
fn says_what_plain_cargo_test_left_out() {
    buzzin_test_support::say_left_out(
        "stores",
        &[
            ("postgres", cfg!(feature = "postgres")),
            ("redis", cfg!(feature = "redis")),
            ("redis_cluster", cfg!(feature = "redis-cluster")),
            ("redis_tls", cfg!(feature = "redis-tls")),
            (
                "replicas",
                cfg!(all(feature = "redis", feature = "axum", feature = "client")),
            ),
        ],
    );
}
