//! [`InRuntime`]: a client's HTTP connections driven on another runtime's thread.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::runtime::Handle;

/// Polls a future with a runtime's [`Handle`] entered, so that what it spawns or registers
/// while it runs lives on that runtime. Around a `reqwest` send, that is the connection: the
/// pool spawns each new connection's task with `tokio::spawn` and registers its socket with the
/// current runtime's reactor, so its socket writes and reads, its HTTP encoding and parsing all
/// run on the handle's threads, while the caller's task only hands the request over and gets
/// the answer back. Connections taken from the pool stay where they were made, so every send
/// of a client must go through the same handle. Without a handle the future is polled as it is.
///
/// ```
/// # let io = tokio::runtime::Builder::new_multi_thread().worker_threads(1)
/// #     .thread_name("io").build().unwrap();
/// # let main = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let name = main.block_on(wire_extra::InRuntime::new(Some(io.handle()), async {
///     tokio::spawn(async { std::thread::current().name().map(str::to_owned) }).await
/// }));
/// assert_eq!(name.unwrap().as_deref(), Some("io"));
/// ```
pub struct InRuntime<'h, F> {
    handle: Option<&'h Handle>,
    fut: Pin<Box<F>>,
}

impl<'h, F: Future> InRuntime<'h, F> {
    /// `fut`, to be polled with `handle` entered (`None`: as it is).
    pub fn new(handle: Option<&'h Handle>, fut: F) -> Self {
        InRuntime {
            handle,
            fut: Box::pin(fut),
        }
    }
}

impl<F: Future> Future for InRuntime<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _entered = self.handle.map(Handle::enter);
        self.fut.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::InRuntime;

    fn io_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("io-test")
            .enable_all()
            .build()
            .unwrap()
    }

    /// What the future spawns runs on the handle's thread; the future itself stays on the
    /// caller's.
    #[test]
    fn spawns_land_on_the_handles_runtime() {
        let io = io_runtime();
        let main = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let caller = std::thread::current().id();
        let (spawned, polled) = main.block_on(InRuntime::new(Some(io.handle()), async {
            let spawned = tokio::spawn(async { std::thread::current().name().map(str::to_owned) })
                .await
                .unwrap();
            (spawned, std::thread::current().id())
        }));
        assert_eq!(spawned.as_deref(), Some("io-test"));
        assert_eq!(polled, caller);
    }

    /// Without a handle, spawns stay on the caller's runtime.
    #[test]
    fn without_a_handle_spawns_stay_with_the_caller() {
        let main = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let caller = std::thread::current().id();
        let spawned = main.block_on(InRuntime::new(None, async {
            tokio::spawn(async { std::thread::current().id() })
                .await
                .unwrap()
        }));
        assert_eq!(spawned, caller);
    }

    /// A socket made inside the future is registered with the handle's reactor: it keeps
    /// working while the caller's runtime is blocked on something else, and after the
    /// caller's runtime is gone.
    #[test]
    fn sockets_made_inside_belong_to_the_handles_runtime() {
        let io = io_runtime();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let main = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let stream = main
            .block_on(InRuntime::new(Some(io.handle()), async {
                tokio::net::TcpStream::connect(addr).await
            }))
            .unwrap();
        drop(main);
        let (mut peer, _) = listener.accept().unwrap();
        std::io::Write::write_all(&mut peer, b"ping").unwrap();
        let read = io.block_on(async move {
            let mut buf = [0u8; 4];
            tokio::io::AsyncReadExt::read_exact(&mut { stream }, &mut buf)
                .await
                .map(|_| buf)
        });
        assert_eq!(&read.unwrap(), b"ping");
    }
}
