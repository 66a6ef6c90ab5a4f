//! Container lookup through the Docker Engine API, which Podman's Docker-compatible
//! socket also serves.
//!
//! `GET /containers/{name_or_id}/json` is the request behind `docker inspect`. The engine
//! resolves names, full IDs and unique ID prefixes for it, so koko accepts whatever the
//! docker CLI accepts.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{
    check_designator, encode_path_segment, http, json, request, validate_pid, Engine, Error,
};

/// Socket used when `DOCKER_HOST` is unset or empty.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// Returns the PID of the init process of a running container, asking the engine at
/// `DOCKER_HOST` (only `unix://` URLs) or at [`DEFAULT_SOCKET`].
pub fn container_pid(name_or_id: &str) -> Result<u32, Error> {
    let socket = socket_from_docker_host(std::env::var_os("DOCKER_HOST").as_deref())?;
    container_pid_at(&socket, name_or_id, http::DEFAULT_TIMEOUT)
}

/// Returns the PID of the init process of a running container, asking the engine on the
/// unix socket `socket`. `timeout` bounds the whole request.
pub fn container_pid_at(socket: &Path, name_or_id: &str, timeout: Duration) -> Result<u32, Error> {
    // Docker stores names with a leading slash ("/web") and its CLI accepts both forms,
    // but the engine replies to "/containers//web/json" with a redirect, so send "web".
    let lookup = name_or_id.strip_prefix('/').unwrap_or(name_or_id);
    check_designator(Engine::Docker, name_or_id, lookup)?;
    let target = format!("/containers/{}/json", encode_path_segment(lookup));
    let body = request(Engine::Docker, socket, &target, name_or_id, timeout)?;
    pid_from_inspect(socket, name_or_id, &body)
}

/// Returns the socket path that a `DOCKER_HOST` value selects.
///
/// NOTE: Docker CLI contexts (`DOCKER_CONTEXT`, `docker context use`) are not read, so a
/// context that points elsewhere must be given to koko through `DOCKER_HOST`.
pub fn socket_from_docker_host(value: Option<&OsStr>) -> Result<PathBuf, Error> {
    let value = match value {
        None => return Ok(PathBuf::from(DEFAULT_SOCKET)),
        Some(value) if value.is_empty() => return Ok(PathBuf::from(DEFAULT_SOCKET)),
        Some(value) => value,
    };
    let unsupported =
        || Error::UnsupportedDockerHost { value: value.to_string_lossy().into_owned() };
    let path = value.as_bytes().strip_prefix(b"unix://").ok_or_else(unsupported)?;
    if !path.starts_with(b"/") {
        return Err(unsupported());
    }
    Ok(PathBuf::from(OsStr::from_bytes(path)))
}

/// Reads `State.Pid` and `State.Running` from the body of a container inspect reply.
/// `socket` and `container` only go into errors.
pub fn pid_from_inspect(socket: &Path, container: &str, body: &[u8]) -> Result<u32, Error> {
    let document = json::parse(body).map_err(|err| Error::MalformedReply {
        engine: Engine::Docker,
        socket: socket.to_path_buf(),
        reason: err.to_string(),
    })?;
    let state = document.get("State");
    // Docker reports Pid 0 for a stopped container. Checking Running=false as well
    // covers an engine that keeps the last PID after the process exits.
    if state.and_then(|state| state.get("Running")).and_then(json::Value::as_bool) == Some(false) {
        return Err(Error::NotRunning { engine: Engine::Docker, container: container.to_string() });
    }
    let pid = state.and_then(|state| state.get("Pid"));
    validate_pid(Engine::Docker, socket, container, "State.Pid", pid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::test_support::{chunked_reply, reply, FakeServer, Reply, TempDir};
    use std::os::unix::net::UnixListener;
    use std::time::Instant;

    const INSPECT: &str = r#"{
        "Id": "4f3c2a9d0e7b",
        "Name": "/web",
        "State": {"Status": "running", "Running": true, "Paused": false, "Pid": 4242, "ExitCode": 0},
        "Config": {"Labels": {"Pid": "1", "State": "{\"Pid\": 2}"}},
        "NetworkSettings": {"Networks": {"bridge": {"State": {"Pid": 3}}}}
    }"#;

    const TIMEOUT: Duration = Duration::from_secs(5);

    #[test]
    fn docker_host_values() {
        let socket = |value: Option<&str>| socket_from_docker_host(value.map(OsStr::new));
        assert_eq!(socket(None).unwrap(), PathBuf::from(DEFAULT_SOCKET));
        assert_eq!(socket(Some("")).unwrap(), PathBuf::from(DEFAULT_SOCKET));
        assert_eq!(
            socket(Some("unix:///run/podman/podman.sock")).unwrap(),
            PathBuf::from("/run/podman/podman.sock")
        );
        for value in [
            "tcp://127.0.0.1:2375",
            "ssh://user@host",
            "unix://",
            "unix://relative.sock",
            "/var/run/docker.sock",
        ] {
            let err = socket(Some(value)).unwrap_err();
            assert!(matches!(err, Error::UnsupportedDockerHost { .. }), "{value}: {err}");
        }
        assert_eq!(
            socket(Some("tcp://127.0.0.1:2375")).unwrap_err().to_string(),
            "unsupported DOCKER_HOST \"tcp://127.0.0.1:2375\": koko reaches the engine only over a unix socket (expected unix:///path/to/docker.sock)"
        );
    }

    #[test]
    fn inspect_pid_by_path_not_by_text() {
        assert_eq!(pid_from_inspect(Path::new("/s"), "web", INSPECT.as_bytes()).unwrap(), 4242);
    }

    #[test]
    fn inspect_stopped_container() {
        let stopped = r#"{"State": {"Status": "exited", "Running": false, "Pid": 0}}"#;
        let err = pid_from_inspect(Path::new("/s"), "web", stopped.as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), "container \"web\" is not running");
        let zero = r#"{"State": {"Pid": 0}}"#;
        assert!(matches!(
            pid_from_inspect(Path::new("/s"), "web", zero.as_bytes()),
            Err(Error::NotRunning { .. })
        ));
    }

    #[test]
    fn inspect_bad_pid_values() {
        for body in [
            r#"{"State": {"Running": true}}"#,
            r#"{"Pid": 5}"#,
            r#"{"State": {"Running": true, "Pid": "5"}}"#,
            r#"{"State": {"Running": true, "Pid": -5}}"#,
            r#"{"State": {"Running": true, "Pid": 5.5}}"#,
            r#"{"State": {"Running": true, "Pid": 4294967296}}"#,
            r#"{"State": {"Running": true, "Pid": 2147483648}}"#,
            r#"[]"#,
            "not json",
        ] {
            let result = pid_from_inspect(Path::new("/s"), "web", body.as_bytes());
            assert!(matches!(result, Err(Error::MalformedReply { .. })), "{body}: {result:?}");
        }
    }

    #[test]
    fn fake_engine_content_length() {
        let server = FakeServer::replying(&reply("200 OK", INSPECT));
        assert_eq!(container_pid_at(&server.socket, "web", TIMEOUT).unwrap(), 4242);
        let request = server.request();
        assert!(request.starts_with("GET /containers/web/json HTTP/1.1\r\n"), "{request}");
        assert!(request.contains("\r\nHost: docker\r\n"), "{request}");
        assert!(request.contains("\r\nConnection: close\r\n"), "{request}");
    }

    #[test]
    fn fake_engine_chunked_in_pieces() {
        let reply = chunked_reply("200 OK", INSPECT, 7);
        let pieces = reply.chunks(11).map(<[u8]>::to_vec).collect();
        let server = FakeServer::start(Reply::Pieces(pieces));
        assert_eq!(container_pid_at(&server.socket, "4f3c", TIMEOUT).unwrap(), 4242);
        assert!(server.request().starts_with("GET /containers/4f3c/json "));
    }

    #[test]
    fn fake_engine_encodes_name() {
        let server = FakeServer::replying(&reply("200 OK", INSPECT));
        container_pid_at(&server.socket, "a b/../c", TIMEOUT).unwrap();
        assert!(server.request().starts_with("GET /containers/a%20b%2F..%2Fc/json "));
    }

    #[test]
    fn fake_engine_strips_leading_slash() {
        let server = FakeServer::replying(&reply("200 OK", INSPECT));
        container_pid_at(&server.socket, "/web", TIMEOUT).unwrap();
        assert!(server.request().starts_with("GET /containers/web/json "));
    }

    #[test]
    fn fake_engine_not_found() {
        let server = FakeServer::replying(&reply(
            "404 Not Found",
            r#"{"message":"No such container: nope"}"#,
        ));
        let err = container_pid_at(&server.socket, "nope", TIMEOUT).unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "container \"nope\" not found (the Docker engine replied: No such container: nope)"
        );
    }

    #[test]
    fn fake_engine_server_error() {
        let server = FakeServer::replying(&reply(
            "500 Internal Server Error",
            r#"{"message":"daemon is shutting down"}"#,
        ));
        let err = container_pid_at(&server.socket, "web", TIMEOUT).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the Docker engine returned 500 Internal Server Error for container \"web\": daemon is shutting down"
        );
    }

    #[test]
    fn fake_engine_stopped() {
        let body = r#"{"State": {"Status": "exited", "Running": false, "Pid": 0}}"#;
        let server = FakeServer::replying(&reply("200 OK", body));
        let err = container_pid_at(&server.socket, "web", TIMEOUT).unwrap_err();
        assert!(matches!(err, Error::NotRunning { .. }), "{err:?}");
    }

    #[test]
    fn fake_engine_garbage() {
        let server = FakeServer::replying(b"\x00\x01garbage\r\n\r\n");
        let err = container_pid_at(&server.socket, "web", TIMEOUT).unwrap_err();
        assert!(matches!(err, Error::MalformedReply { .. }), "{err:?}");
        assert!(err.to_string().starts_with("malformed reply from the Docker engine at "), "{err}");
    }

    #[test]
    fn fake_engine_truncated() {
        let mut truncated = reply("200 OK", INSPECT);
        truncated.truncate(truncated.len() - 10);
        let server = FakeServer::replying(&truncated);
        let err = container_pid_at(&server.socket, "web", TIMEOUT).unwrap_err();
        assert!(
            err.to_string().ends_with("the reply ended before the message was complete"),
            "{err}"
        );
    }

    #[test]
    fn fake_engine_oversize_without_length() {
        let mut huge = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        huge.resize(http::MAX_RESPONSE_LEN + 100, b' ');
        let server = FakeServer::replying(&huge);
        let err = container_pid_at(&server.socket, "web", TIMEOUT).unwrap_err();
        assert!(matches!(err, Error::ReplyTooLarge { .. }), "{err:?}");
    }

    #[test]
    fn fake_engine_oversize_content_length() {
        let server = FakeServer::replying(b"HTTP/1.1 200 OK\r\nContent-Length: 104857600\r\n\r\n{");
        let err = container_pid_at(&server.socket, "web", TIMEOUT).unwrap_err();
        assert!(matches!(err, Error::ReplyTooLarge { .. }), "{err:?}");
    }

    #[test]
    fn fake_engine_silent_times_out() {
        let server = FakeServer::start(Reply::Silence(Duration::from_secs(2)));
        let started = Instant::now();
        let err = container_pid_at(&server.socket, "web", Duration::from_millis(200)).unwrap_err();
        assert!(matches!(err, Error::TimedOut { .. }), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(err
            .to_string()
            .starts_with("timed out after 200 ms waiting for a reply from the Docker engine at "));
    }

    #[test]
    fn fake_engine_trickle_times_out() {
        let pieces = (0..400).map(|_| b" ".to_vec()).collect();
        let mut all = vec![b"HTTP/1.1 200 OK\r\n\r\n".to_vec()];
        all.extend::<Vec<Vec<u8>>>(pieces);
        let server = FakeServer::start(Reply::Pieces(all));
        let started = Instant::now();
        let err = container_pid_at(&server.socket, "web", Duration::from_millis(300)).unwrap_err();
        assert!(matches!(err, Error::TimedOut { .. }), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    }

    #[test]
    fn missing_socket() {
        let dir = TempDir::new();
        let socket = dir.path().join("docker.sock");
        let err = container_pid_at(&socket, "web", TIMEOUT).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot connect to the Docker engine at {}: No such file or directory (is dockerd running? set DOCKER_HOST=unix:///path for another socket)",
                socket.display()
            )
        );
    }

    #[test]
    fn refused_socket() {
        let dir = TempDir::new();
        let socket = dir.path().join("docker.sock");
        drop(UnixListener::bind(&socket).unwrap());
        let err = container_pid_at(&socket, "web", TIMEOUT).unwrap_err();
        assert!(err.to_string().contains(": Connection refused (is dockerd running?"), "{err}");
    }

    #[test]
    fn invalid_names() {
        for name in ["", "/", ".", "..", "/.."] {
            let err = container_pid_at(Path::new("/nonexistent"), name, TIMEOUT).unwrap_err();
            assert!(matches!(err, Error::InvalidName { .. }), "{name:?}: {err:?}");
        }
    }
}
