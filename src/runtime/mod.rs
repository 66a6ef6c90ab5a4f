//! Container runtime resolution: turns a container designator into the PID of the
//! container's init process, whose `/proc/PID/ns/net` is the container's network
//! namespace.
//!
//! [`docker`] queries the Docker Engine API (or Podman's Docker-compatible API) and
//! [`crio`] queries CRI-O's inspect endpoint. Both speak HTTP/1.1 over a unix socket through
//! [`http`] and read the reply with [`json`].

pub mod crio;
pub mod docker;
pub mod http;
pub mod json;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The container engine a request went to; it names the engine in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Docker,
    Crio,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Docker => "the Docker engine",
            Engine::Crio => "CRI-O",
        }
    }

    /// Value of the `Host` header; the engines ignore it, but HTTP/1.1 requires one.
    fn host(self) -> &'static str {
        match self {
            Engine::Docker => "docker",
            Engine::Crio => "crio",
        }
    }

    fn not_reachable_hint(self) -> &'static str {
        match self {
            Engine::Docker => "is dockerd running? set DOCKER_HOST=unix:///path for another socket",
            Engine::Crio => "is crio running? set KOKO_CRIO_SOCKET=/path for another socket",
        }
    }

    fn permission_hint(self) -> &'static str {
        match self {
            Engine::Docker => "run koko as root or add your user to the docker group",
            Engine::Crio => "run koko as root",
        }
    }
}

/// Failures while resolving a container to a PID.
#[derive(Debug)]
pub enum Error {
    /// The container designator is empty, "." or "..", which no engine accepts as a
    /// name or ID and which would change the request path.
    InvalidName { engine: Engine, name: String },
    /// `DOCKER_HOST` names something other than a unix socket.
    UnsupportedDockerHost { value: String },
    /// connect(2) on the engine's socket failed.
    Connect { engine: Engine, socket: PathBuf, source: io::Error },
    /// Sending the request or reading the reply failed after connecting.
    Io { engine: Engine, socket: PathBuf, operation: &'static str, source: io::Error },
    /// The engine did not send a whole reply in time.
    TimedOut { engine: Engine, socket: PathBuf, timeout: Duration },
    /// The reply is not valid HTTP or JSON, or lacks the fields koko needs.
    MalformedReply { engine: Engine, socket: PathBuf, reason: String },
    /// The reply exceeds `http::MAX_RESPONSE_LEN`.
    ReplyTooLarge { engine: Engine, socket: PathBuf },
    /// The engine returned 404 for the container.
    NotFound { engine: Engine, container: String, message: Option<String> },
    /// The container exists but has no running init process.
    NotRunning { engine: Engine, container: String },
    /// The engine returned a status other than 200 and 404.
    Status {
        engine: Engine,
        container: String,
        status: u16,
        reason: String,
        message: Option<String>,
    },
}

impl Error {
    /// Checks whether the container may still appear: it does not exist or is not running yet.
    /// `--wait` keeps polling on these and stops on every other error.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. } | Error::NotRunning { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidName { engine, name } => write!(
                f,
                "invalid container name {name:?} for {} (expected a container name or ID)",
                engine.name()
            ),
            Error::UnsupportedDockerHost { value } => write!(
                f,
                "unsupported DOCKER_HOST {value:?}: koko reaches the engine only over a unix socket (expected unix:///path/to/docker.sock)"
            ),
            Error::Connect { engine, socket, source } => {
                write!(
                    f,
                    "cannot connect to {} at {}: {}",
                    engine.name(),
                    socket.display(),
                    koko_netlink::error::describe_io_error(source)
                )?;
                match source.kind() {
                    io::ErrorKind::PermissionDenied => write!(f, " ({})", engine.permission_hint()),
                    io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => {
                        write!(f, " ({})", engine.not_reachable_hint())
                    }
                    _ => Ok(()),
                }
            }
            Error::Io { engine, socket, operation, source } => write!(
                f,
                "failed to {operation} {} at {}: {}",
                engine.name(),
                socket.display(),
                koko_netlink::error::describe_io_error(source)
            ),
            Error::TimedOut { engine, socket, timeout } => write!(
                f,
                "timed out after {} waiting for a reply from {} at {}",
                http::format_duration(*timeout),
                engine.name(),
                socket.display()
            ),
            Error::MalformedReply { engine, socket, reason } => {
                write!(f, "malformed reply from {} at {}: {reason}", engine.name(), socket.display())
            }
            Error::ReplyTooLarge { engine, socket } => write!(
                f,
                "the reply from {} at {} is larger than the {} MiB limit",
                engine.name(),
                socket.display(),
                http::MAX_RESPONSE_LEN >> 20
            ),
            Error::NotFound { engine, container, message } => {
                write!(f, "container {container:?} not found")?;
                match message {
                    Some(message) => write!(f, " ({} replied: {message})", engine.name()),
                    None => Ok(()),
                }
            }
            Error::NotRunning { container, .. } => write!(f, "container {container:?} is not running"),
            Error::Status { engine, container, status, reason, message } => {
                write!(f, "{} returned {status} {reason} for container {container:?}", engine.name())?;
                match message {
                    Some(message) => write!(f, ": {message}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Connect { source, .. } | Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Sends `GET target` to an engine and returns the body of a 2xx reply; 404 and other
/// statuses become `NotFound` and `Status` errors for `container`.
fn request(
    engine: Engine,
    socket: &Path,
    target: &str,
    container: &str,
    timeout: Duration,
) -> Result<Vec<u8>, Error> {
    let response = http::get(socket, engine.host(), target, timeout).map_err(|err| {
        let socket = socket.to_path_buf();
        match err {
            http::Error::Connect(source) => Error::Connect { engine, socket, source },
            http::Error::Send(source) => {
                Error::Io { engine, socket, operation: "send the request to", source }
            }
            http::Error::Receive(source) => {
                Error::Io { engine, socket, operation: "read the reply from", source }
            }
            http::Error::TimedOut(timeout) => Error::TimedOut { engine, socket, timeout },
            http::Error::Parse(http::ParseError::TooLarge) => {
                Error::ReplyTooLarge { engine, socket }
            }
            http::Error::Parse(err) => {
                Error::MalformedReply { engine, socket, reason: err.to_string() }
            }
        }
    })?;

    match response.status {
        200..=299 => Ok(response.body),
        404 => Err(Error::NotFound {
            engine,
            container: container.to_string(),
            message: error_message(&response.body),
        }),
        status => Err(Error::Status {
            engine,
            container: container.to_string(),
            status,
            reason: sanitize(&response.reason, 64),
            message: error_message(&response.body),
        }),
    }
}

/// Extracts the engine's explanation from an error body: the `message` member of a JSON
/// object (Docker, Podman) or else the first line of plain text (CRI-O).
fn error_message(body: &[u8]) -> Option<String> {
    const MAX_CHARS: usize = 300;
    if let Ok(document) = json::parse(body) {
        return document
            .get("message")
            .and_then(json::Value::as_str)
            .map(|message| sanitize(message, MAX_CHARS))
            .filter(|message| !message.is_empty());
    }
    let text = String::from_utf8_lossy(body);
    let first_line = text.lines().map(str::trim).find(|line| !line.is_empty())?;
    Some(sanitize(first_line, MAX_CHARS))
}

/// Replaces control characters, so text from the engine cannot move the cursor or
/// change colors on the user's terminal, and cuts it to `max_chars` characters.
fn sanitize(text: &str, max_chars: usize) -> String {
    let mut clean: String =
        text.trim().chars().map(|c| if c.is_control() { '?' } else { c }).take(max_chars).collect();
    if text.trim().chars().count() > max_chars {
        clean.push_str("...");
    }
    clean
}

/// Rejects a designator that cannot name a container. `segment` is the part that goes
/// into the request path and `name` is what the user typed.
fn check_designator(engine: Engine, name: &str, segment: &str) -> Result<(), Error> {
    if segment.is_empty() || segment == "." || segment == ".." {
        return Err(Error::InvalidName { engine, name: name.to_string() });
    }
    Ok(())
}

/// Percent-encodes every byte except RFC 3986's unreserved characters, so a container
/// designator is always exactly one path segment.
fn encode_path_segment(segment: &str) -> String {
    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Checks the number the engine gave as PID: 0 means not running, anything else must be
/// a valid `pid_t`.
fn validate_pid(
    engine: Engine,
    socket: &Path,
    container: &str,
    field: &str,
    value: Option<&json::Value>,
) -> Result<u32, Error> {
    let malformed =
        |reason: String| Error::MalformedReply { engine, socket: socket.to_path_buf(), reason };
    let value = value.ok_or_else(|| malformed(format!("the reply has no {field} field")))?;
    let pid = value
        .as_i64()
        .ok_or_else(|| malformed(format!("{field} is not an integer: {}", describe_json(value))))?;
    match pid {
        0 => Err(Error::NotRunning { engine, container: container.to_string() }),
        1..=0x7fff_ffff => Ok(pid as u32),
        _ => Err(malformed(format!("{field} is not a valid process ID: {pid}"))),
    }
}

/// Describes a JSON value in a message without echoing an unbounded amount of it.
fn describe_json(value: &json::Value) -> String {
    match value {
        json::Value::Null => "null".to_string(),
        json::Value::Bool(value) => value.to_string(),
        json::Value::Number(text) => sanitize(text, 32),
        json::Value::String(text) => format!("{:?}", sanitize(text, 32)),
        json::Value::Array(_) => "an array".to_string(),
        json::Value::Object(_) => "an object".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_path_segment_escapes_reserved() {
        assert_eq!(encode_path_segment("web-1_a.b~"), "web-1_a.b~");
        assert_eq!(encode_path_segment("a/b c?d#e%"), "a%2Fb%20c%3Fd%23e%25");
        assert_eq!(encode_path_segment("x\r\n"), "x%0D%0A");
        assert_eq!(encode_path_segment("é"), "%C3%A9");
    }

    #[test]
    fn error_message_from_json_or_text() {
        assert_eq!(
            error_message(br#"{"message":"No such container: web"}"#).as_deref(),
            Some("No such container: web")
        );
        assert_eq!(
            error_message(b"can't find the container with id abc\n").as_deref(),
            Some("can't find the container with id abc")
        );
        assert_eq!(error_message(br#"{"other":1}"#), None);
        assert_eq!(error_message(b""), None);
        assert_eq!(error_message(b"\x1b[31mred\x1b[0m").as_deref(), Some("?[31mred?[0m"));
        let long = "x".repeat(1000);
        assert_eq!(error_message(long.as_bytes()).map(|m| m.len()), Some(303));
    }

    #[test]
    fn connect_error_hints() {
        let socket = PathBuf::from("/var/run/docker.sock");
        let missing = Error::Connect {
            engine: Engine::Docker,
            socket: socket.clone(),
            source: io::Error::from_raw_os_error(libc::ENOENT),
        };
        assert_eq!(
            missing.to_string(),
            "cannot connect to the Docker engine at /var/run/docker.sock: No such file or directory (is dockerd running? set DOCKER_HOST=unix:///path for another socket)"
        );
        let denied = Error::Connect {
            engine: Engine::Docker,
            socket,
            source: io::Error::from_raw_os_error(libc::EACCES),
        };
        assert_eq!(
            denied.to_string(),
            "cannot connect to the Docker engine at /var/run/docker.sock: Permission denied (run koko as root or add your user to the docker group)"
        );
    }

    #[test]
    fn not_found_and_not_running_messages() {
        let not_found =
            Error::NotFound { engine: Engine::Docker, container: "x".into(), message: None };
        assert_eq!(not_found.to_string(), "container \"x\" not found");
        let not_running = Error::NotRunning { engine: Engine::Crio, container: "x".into() };
        assert_eq!(not_running.to_string(), "container \"x\" is not running");
    }
}

/// Helpers shared by the tests of the runtime modules.
#[cfg(test)]
mod test_support {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixListener;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread::{self, JoinHandle};
    use std::time::Duration;

    /// xorshift64: a deterministic generator, so a failing fuzz round can be replayed.
    pub struct Rng(u64);

    impl Rng {
        pub fn new(seed: u64) -> Rng {
            Rng(seed.max(1))
        }

        pub fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        /// Returns a number in `0..bound`; `bound` must not be 0.
        pub fn below(&mut self, bound: usize) -> usize {
            (self.next() % bound as u64) as usize
        }

        pub fn byte_from(&mut self, alphabet: &[u8]) -> u8 {
            if self.below(4) == 0 {
                self.next() as u8
            } else {
                alphabet[self.below(alphabet.len())]
            }
        }

        /// Returns a copy of `sample` with a few random edits: byte changes, insertions,
        /// deletions, truncation and duplicated ranges.
        pub fn mutate(&mut self, sample: &[u8], alphabet: &[u8]) -> Vec<u8> {
            let mut data = sample.to_vec();
            for _ in 0..1 + self.below(4) {
                let len = data.len();
                match self.below(5) {
                    0 if len > 0 => {
                        let at = self.below(len);
                        data[at] = self.byte_from(alphabet);
                    }
                    1 => {
                        let at = self.below(len + 1);
                        let byte = self.byte_from(alphabet);
                        data.insert(at, byte);
                    }
                    2 if len > 0 => {
                        let at = self.below(len);
                        data.remove(at);
                    }
                    3 => data.truncate(self.below(len + 1)),
                    4 if len > 0 => {
                        let start = self.below(len);
                        let end = start + self.below(len - start) + 1;
                        let copy = data[start..end].to_vec();
                        let at = self.below(len + 1);
                        data.splice(at..at, copy);
                    }
                    _ => {}
                }
            }
            data
        }
    }

    /// A private temporary directory, removed on drop.
    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new() -> TempDir {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "koko-rt-test-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&path).expect("create temporary directory");
            TempDir(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Behaviour of the fake server after it has read the request.
    pub enum Reply {
        /// Writes these pieces with a short pause between them, then closes.
        Pieces(Vec<Vec<u8>>),
        /// Writes nothing and keeps the connection open this long.
        Silence(Duration),
    }

    /// A one-shot HTTP server on a unix socket in a temporary directory.
    pub struct FakeServer {
        pub socket: PathBuf,
        handle: Option<JoinHandle<Vec<u8>>>,
        _dir: TempDir,
    }

    impl FakeServer {
        pub fn start(reply: Reply) -> FakeServer {
            let dir = TempDir::new();
            let socket = dir.path().join("engine.sock");
            let listener = UnixListener::bind(&socket).expect("bind fake engine socket");
            let handle = thread::spawn(move || {
                let (mut stream, _) = listener.accept().expect("accept");
                stream.set_read_timeout(Some(Duration::from_secs(5))).expect("set timeout");
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(count) => request.extend_from_slice(&buffer[..count]),
                    }
                }
                match reply {
                    Reply::Pieces(pieces) => {
                        for piece in pieces {
                            if stream.write_all(&piece).is_err() {
                                break;
                            }
                            let _ = stream.flush();
                            thread::sleep(Duration::from_millis(5));
                        }
                    }
                    Reply::Silence(duration) => thread::sleep(duration),
                }
                request
            });
            FakeServer { socket, handle: Some(handle), _dir: dir }
        }

        /// Replies with `reply` in one write.
        pub fn replying(reply: &[u8]) -> FakeServer {
            FakeServer::start(Reply::Pieces(vec![reply.to_vec()]))
        }

        /// Waits for the server thread and returns the request it received.
        pub fn request(mut self) -> String {
            let handle = self.handle.take().expect("server thread");
            String::from_utf8_lossy(&handle.join().expect("server thread panicked")).into_owned()
        }
    }

    /// Builds a reply with a Content-Length body.
    pub fn reply(status: &str, body: &str) -> Vec<u8> {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    /// Builds a chunked reply, splitting the body into chunks of `chunk_len` bytes.
    pub fn chunked_reply(status: &str, body: &str, chunk_len: usize) -> Vec<u8> {
        let mut reply =
            format!("HTTP/1.1 {status}\r\nTransfer-Encoding: chunked\r\n\r\n").into_bytes();
        for chunk in body.as_bytes().chunks(chunk_len) {
            reply.extend_from_slice(format!("{:x};ext=1\r\n", chunk.len()).as_bytes());
            reply.extend_from_slice(chunk);
            reply.extend_from_slice(b"\r\n");
        }
        reply.extend_from_slice(b"0\r\nX-Trailer: done\r\n\r\n");
        reply
    }
}
