//! A stand-in container engine for integration tests: an HTTP server on a unix socket in
//! a private temporary directory, run by a thread of the test process.
//!
//! koko finds it through `DOCKER_HOST=unix://PATH` or `KOKO_CRIO_SOCKET=PATH`. Each
//! connection carries one request, as koko sends `Connection: close`, and a handler
//! chosen by the test returns the raw bytes of the reply.

// Each test crate that includes this module uses only part of it.
#![allow(dead_code)]

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Maximum time the server waits for a request head, and the proxy for the engine's reply.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// Maximum size of a request head. koko's requests are a few hundred bytes.
const MAX_REQUEST_LEN: usize = 64 * 1024;

/// One request as the fake engine received it.
#[derive(Clone, Debug)]
pub struct Request {
    /// Position of the request since the server started, from 0.
    pub index: usize,
    /// The request target, e.g. `/containers/abc/json`.
    pub target: String,
    /// The whole request head, as sent.
    pub raw: Vec<u8>,
}

type Handler = Box<dyn FnMut(&Request) -> Vec<u8> + Send>;

/// A private directory under the system's temporary directory, removed on drop.
///
/// Its mode is 0755 so that a test can run koko as an unprivileged user and have the
/// socket's own mode, not the directory's, decide whether connecting is allowed.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(purpose: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let serial = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("koko-{purpose}-{}-{serial}", std::process::id()));
        // A directory left by an earlier run that died with the same PID is stale.
        let _ = fs::remove_dir_all(&path);
        fs::create_dir(&path).unwrap_or_else(|error| {
            panic!("failed to create test directory {}: {error}", path.display())
        });
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap_or_else(|error| {
            panic!("failed to chmod test directory {}: {error}", path.display())
        });
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// The running server. Dropping it stops the thread and removes the socket.
pub struct FakeEngine {
    socket: PathBuf,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
    // Declared last so the directory goes after the thread has stopped.
    _dir: TempDir,
}

impl FakeEngine {
    /// Starts a server that replies to every request with `handler(&request)`.
    pub fn start(handler: impl FnMut(&Request) -> Vec<u8> + Send + 'static) -> FakeEngine {
        let dir = TempDir::new("fake-engine");
        let socket = dir.path().join("engine.sock");
        let listener = UnixListener::bind(&socket)
            .unwrap_or_else(|error| panic!("failed to listen on {}: {error}", socket.display()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let requests = Arc::clone(&requests);
            let stop = Arc::clone(&stop);
            let handler: Handler = Box::new(handler);
            thread::spawn(move || serve(listener, handler, requests, stop))
        };
        FakeEngine { socket, requests, stop, thread: Some(thread), _dir: dir }
    }

    /// Starts a server that sends every reply in `replies` once, in order, and a 500
    /// reply to any request after them.
    pub fn with_replies(replies: Vec<Vec<u8>>) -> FakeEngine {
        let mut replies = replies.into_iter();
        FakeEngine::start(move |_| {
            replies.next().unwrap_or_else(|| {
                reply(500, "Internal Server Error", "text/plain", b"fake engine: no reply left\n")
            })
        })
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Returns the value of `DOCKER_HOST` that points at this server.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// Returns the requests received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Returns the targets of the requests received so far, in order.
    pub fn targets(&self) -> Vec<String> {
        self.requests().into_iter().map(|request| request.target).collect()
    }
}

impl Drop for FakeEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // accept(2) blocks, so one connection wakes the thread up to see the flag.
        let _ = UnixStream::connect(&self.socket);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    listener: UnixListener,
    mut handler: Handler,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
) {
    let mut index = 0;
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(mut stream) = stream else { continue };
        let Some(raw) = read_request_head(&mut stream) else {
            continue;
        };
        let request = Request { index, target: request_target(&raw), raw };
        index += 1;
        requests.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(request.clone());
        let bytes = handler(&request);
        // koko may close early, e.g. on an oversized reply, so write errors are expected.
        let _ = stream.write_all(&bytes);
        let _ = stream.flush();
    }
}

/// Reads up to the empty line that ends a request head; `None` if the client closed or
/// stalled first.
fn read_request_head(stream: &mut UnixStream) -> Option<Vec<u8>> {
    stream.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        if head.len() > MAX_REQUEST_LEN {
            return None;
        }
        let count = stream.read(&mut buffer).ok()?;
        if count == 0 {
            return None;
        }
        head.extend_from_slice(&buffer[..count]);
    }
    Some(head)
}

/// Returns the second word of the request line, or "" when there is none.
fn request_target(head: &[u8]) -> String {
    let text = String::from_utf8_lossy(head);
    let line = text.lines().next().unwrap_or("");
    line.split(' ').nth(1).unwrap_or("").to_string()
}

/// Builds an HTTP/1.1 reply with a Content-Length.
pub fn reply(status: u16, reason: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Builds a 200 reply with a JSON body.
pub fn json_reply(body: &str) -> Vec<u8> {
    reply(200, "OK", "application/json", body.as_bytes())
}

/// Builds the body of a Docker `GET /containers/{id}/json` reply, trimmed to the fields
/// around the ones koko reads.
pub fn docker_inspect_body(id: &str, pid: u32, running: bool) -> String {
    format!(
        r#"{{"Id":"{id}","Name":"/fake","State":{{"Status":"{}","Running":{running},"Paused":false,"Pid":{pid},"ExitCode":0}},"Config":{{"Image":"koko-test:latest"}}}}"#,
        if running { "running" } else { "exited" }
    )
}

/// Builds the body of a CRI-O `GET /containers/{id}` reply (`ContainerInfo`).
pub fn crio_info_body(pid: u32) -> String {
    format!(
        r#"{{"name":"k8s_app_pod-0_default_0","pid":{pid},"image":"registry.example/app:1","image_ref":"sha256:00","created_time":1700000000000000000,"labels":{{}},"annotations":{{}},"crio_annotations":{{}},"log_path":"/var/log/pods/app.log","root":"/var/lib/containers/storage/overlay/00/merged","sandbox":"5a1d","ip_addresses":[]}}"#
    )
}

/// Forwards `request` unchanged to the HTTP server on `socket` and returns its whole
/// reply, read until the server closes the connection. koko sends `Connection: close`,
/// so the engine closes after one reply.
pub fn forward(socket: &Path, request: &Request) -> Vec<u8> {
    let result = (|| -> std::io::Result<Vec<u8>> {
        let mut upstream = UnixStream::connect(socket)?;
        upstream.set_read_timeout(Some(IO_TIMEOUT))?;
        upstream.write_all(&request.raw)?;
        let mut reply = Vec::new();
        upstream.read_to_end(&mut reply)?;
        Ok(reply)
    })();
    result.unwrap_or_else(|error| {
        let body = format!("fake engine: forwarding to {} failed: {error}\n", socket.display());
        reply(502, "Bad Gateway", "text/plain", body.as_bytes())
    })
}
