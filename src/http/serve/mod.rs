//! Serving the router over HTTP/1.1 connections, with limits on slow and silent
//! clients and a graceful end.
//!
//! Each connection has a watchdog ([`watch`]): a client gets
//! `server.header_read_timeout` to send a request head (counted from accept, or from
//! the first byte after an idle spell), and a keep-alive connection with nothing in
//! flight is closed after `server.idle_timeout`. A request in flight, including a
//! streaming response such as SSE or a `?wait=` long poll, is never cut by either.
//!
//! hyper's own `header_read_timeout` is not used: it restarts as soon as a response
//! ends, so it would also close idle keep-alive connections after the (short)
//! header timeout, and a proxy reusing such a connection would race the close.

mod io;
mod watch;

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

pub use watch::Timeouts;

use io::{TrackedBody, WatchedIo};
use watch::Activity;

/// Accepts connections until `stop` fires, then stops accepting, lets each
/// connection finish the request it is serving (idle ones close at once) and
/// returns when all are closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    stop: CancellationToken,
) {
    let connections = TaskTracker::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) if is_per_connection(&e) => continue,
                Err(e) => {
                    // Out of file descriptors and the like: retrying at once would
                    // spin; a pause lets connections close (axum::serve does the same).
                    tracing::error!(error = %e, "accepting a connection failed; retrying in a second");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        () = stop.cancelled() => break,
                    }
                }
            },
            () = stop.cancelled() => break,
        };
        connections.spawn(connection(stream, router.clone(), timeouts, stop.clone()));
    }
    // No new connections from here on: the port closes while open ones drain.
    drop(listener);
    connections.close();
    connections.wait().await;
}

/// Errors that concern one connection only, not the listener.
fn is_per_connection(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Serves one connection until the client closes it, a watchdog limit passes, or
/// shutdown has let its last request finish.
async fn connection(
    stream: TcpStream,
    router: Router,
    timeouts: Timeouts,
    stop: CancellationToken,
) {
    let activity = Activity::accepted();
    let io = TokioIo::new(WatchedIo::new(stream, activity.clone()));
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |req: Request<Incoming>| {
            let in_flight = activity.begin();
            let router = router.clone();
            async move {
                let response = router.oneshot(req).await?;
                Ok::<_, Infallible>(response.map(|body| TrackedBody::new(body, in_flight)))
            }
        })
    };
    let conn = http1::Builder::new().serve_connection(io, service);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    // Clients hanging up mid-request are routine: not worth a warning.
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            why = activity.expired(timeouts) => {
                tracing::debug!(reason = why.as_str(), "closing a quiet connection");
                // Nothing is in flight (the watchdog never fires then), so dropping
                // the connection loses no response.
                return;
            }
            () = stop.cancelled(), if !stopping => {
                stopping = true;
                // Idle connections close now; busy ones after their response.
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
