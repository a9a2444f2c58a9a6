//! A TCP proxy on 127.0.0.1 in front of a server (PostgreSQL, for outage tests):
//! `cut` breaks every open connection and drops each new one at once, as a
//! database restart or a network blip would; `restore` lets connections through
//! again.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

#[derive(Default)]
struct Inner {
    down: AtomicBool,
    dropped: AtomicUsize,
    open: Mutex<Vec<AbortHandle>>,
}

pub struct TcpProxy {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
    accept: AbortHandle,
}

impl TcpProxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new(Inner::default());
        let state = inner.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                if state.down.load(Ordering::SeqCst) {
                    state.dropped.fetch_add(1, Ordering::SeqCst);
                    drop(client);
                    continue;
                }
                let pipe = tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let mut client = client;
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
                let mut open = state.open.lock().unwrap();
                open.retain(|h| !h.is_finished());
                open.push(pipe.abort_handle());
            }
        })
        .abort_handle();
        Self {
            addr,
            inner,
            accept,
        }
    }

    /// Breaks every open connection; new ones are dropped until `restore`.
    pub fn cut(&self) {
        self.inner.down.store(true, Ordering::SeqCst);
        for pipe in self.inner.open.lock().unwrap().drain(..) {
            pipe.abort();
        }
    }

    pub fn restore(&self) {
        self.inner.down.store(false, Ordering::SeqCst);
    }

    /// Connections dropped while cut.
    pub fn dropped(&self) -> usize {
        self.inner.dropped.load(Ordering::SeqCst)
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}
