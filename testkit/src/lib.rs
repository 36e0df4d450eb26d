//! A simulated Perfect Panel for tests, benchmarks and the demo: both APIs over loopback HTTP, data
//! generated deterministically from a seed, and fault switches.

pub mod catalog;
pub mod data;
pub mod faults;
pub mod lambda_runtime;
pub mod llm;
pub mod receiver;
pub mod rival;
pub mod rng;
pub mod server;
pub mod smtp;
pub mod sqld;
pub mod writes;

pub use data::SimConfig;
pub use faults::Faults;
pub use llm::{LlmFault, LlmHandle};
pub use receiver::ReceiverHandle;
pub use server::SimHandle;

/// Serves `app` on a free loopback port from its own thread and runtime, like a separate server (a
/// test's runtime being busy never delays its answers); the bound address.
pub fn serve_on_own_thread(app: axum::Router) -> std::io::Result<std::net::SocketAddr> {
    on_own_thread(|tx| async move {
        let listener =
            match tokio::net::TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0))).await {
                Ok(l) => l,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
        let _ = tx.send(listener.local_addr());
        let _ = axum::serve(listener, app).await;
    })
}

/// Runs `work` on a thread of its own with its own runtime and waits for the first thing it sends
/// (where it serves, or why it could not start); the thread then keeps running `work` to its end.
pub(crate) fn on_own_thread<T, F>(
    work: impl FnOnce(std::sync::mpsc::Sender<std::io::Result<T>>) -> F + Send + 'static,
) -> std::io::Result<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = ()>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt.block_on(work(tx)),
        Err(e) => {
            let _ = tx.send(Err(e));
        }
    });
    rx.recv().map_err(|e| std::io::Error::other(e.to_string()))?
}
