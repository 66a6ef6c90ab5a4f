//! Container lookup through CRI-O's inspect endpoint.
//!
//! CRI-O serves `GET /containers/{id}` on its gRPC socket as plain HTTP (the endpoint
//! behind `crio status containers`). The reply is CRI-O's `ContainerInfo` as JSON, e.g.
//! `{"name": "...", "pid": 1234, "image": "...", "sandbox": "...", "ip_addresses": [...]}`;
//! an unknown ID gets 404 with a plain-text message. A pod sandbox ID also works and gives
//! the PID of the pod's infra container.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{
    check_designator, encode_path_segment, http, json, request, validate_pid, Engine, Error,
};

/// Socket used when [`SOCKET_ENV`] is unset or empty.
pub const DEFAULT_SOCKET: &str = "/var/run/crio/crio.sock";

/// Environment variable holding another socket path, for tests and non-default setups.
pub const SOCKET_ENV: &str = "KOKO_CRIO_SOCKET";

/// Returns the PID of the init process of a running container, asking CRI-O at
/// `KOKO_CRIO_SOCKET` or at [`DEFAULT_SOCKET`].
pub fn container_pid(id: &str) -> Result<u32, Error> {
    let socket = match std::env::var_os(SOCKET_ENV) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(DEFAULT_SOCKET),
    };
    container_pid_at(&socket, id, http::DEFAULT_TIMEOUT)
}

/// Returns the PID of the init process of a running container, asking CRI-O on the unix
/// socket `socket`. `timeout` bounds the whole request.
///
/// NOTE: the endpoint looks IDs up as given. Whether it also accepts ID prefixes, as
/// `crictl` does, has not been checked against a real CRI-O.
pub fn container_pid_at(socket: &Path, id: &str, timeout: Duration) -> Result<u32, Error> {
    check_designator(Engine::Crio, id, id)?;
    let target = format!("/containers/{}", encode_path_segment(id));
    let body = request(Engine::Crio, socket, &target, id, timeout)?;
    pid_from_inspect(socket, id, &body)
}

/// Reads the top-level `pid` member of a `ContainerInfo` reply. CRI-O reports 0 for a
/// container that was created but not started or has exited. `socket` and `container`
/// only go into errors.
pub fn pid_from_inspect(socket: &Path, container: &str, body: &[u8]) -> Result<u32, Error> {
    let document = json::parse(body).map_err(|err| Error::MalformedReply {
        engine: Engine::Crio,
        socket: socket.to_path_buf(),
        reason: err.to_string(),
    })?;
    validate_pid(Engine::Crio, socket, container, "pid", document.get("pid"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::test_support::{chunked_reply, reply, FakeServer, Reply};

    const INFO: &str = r#"{"name":"k8s_web_web-0_default_3d1f_0","pid":31337,"image":"docker.io/library/nginx:latest","image_ref":"sha256:abcd","created_time":1700000000000000000,"labels":{"pid":"1"},"annotations":{"io.kubernetes.pod.name":"web-0"},"crio_annotations":{},"log_path":"/var/log/pods/web.log","root":"/var/lib/containers/storage/overlay/abcd/merged","sandbox":"3d1f0c2b","ip_addresses":["10.88.0.5","fd00::5"]}"#;

    const TIMEOUT: Duration = Duration::from_secs(5);

    #[test]
    fn inspect_pid() {
        assert_eq!(pid_from_inspect(Path::new("/s"), "abc", INFO.as_bytes()).unwrap(), 31337);
    }

    #[test]
    fn inspect_not_started() {
        let body = r#"{"name":"x","pid":0,"sandbox":"3d1f"}"#;
        let err = pid_from_inspect(Path::new("/s"), "abc", body.as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), "container \"abc\" is not running");
    }

    #[test]
    fn inspect_missing_pid() {
        let body = r#"{"name":"x","labels":{"pid":"5"}}"#;
        let err = pid_from_inspect(Path::new("/s"), "abc", body.as_bytes()).unwrap_err();
        assert!(err.to_string().ends_with("the reply has no pid field"), "{err}");
    }

    #[test]
    fn fake_crio_reply() {
        let server = FakeServer::replying(&reply("200 OK", INFO));
        assert_eq!(container_pid_at(&server.socket, "abc123", TIMEOUT).unwrap(), 31337);
        let request = server.request();
        assert!(request.starts_with("GET /containers/abc123 HTTP/1.1\r\n"), "{request}");
        assert!(request.contains("\r\nHost: crio\r\n"), "{request}");
    }

    #[test]
    fn fake_crio_chunked() {
        let server = FakeServer::start(Reply::Pieces(vec![chunked_reply("200 OK", INFO, 64)]));
        assert_eq!(container_pid_at(&server.socket, "abc123", TIMEOUT).unwrap(), 31337);
    }

    #[test]
    fn fake_crio_not_found_plain_text() {
        let body = "can't find the container with id nope\n";
        let reply = format!(
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let server = FakeServer::replying(reply.as_bytes());
        let err = container_pid_at(&server.socket, "nope", TIMEOUT).unwrap_err();
        assert_eq!(
            err.to_string(),
            "container \"nope\" not found (CRI-O replied: can't find the container with id nope)"
        );
    }

    #[test]
    fn invalid_ids() {
        for id in ["", ".", ".."] {
            let err = container_pid_at(Path::new("/nonexistent"), id, TIMEOUT).unwrap_err();
            assert!(matches!(err, Error::InvalidName { .. }), "{id:?}: {err:?}");
        }
    }

    #[test]
    fn missing_crio_socket() {
        let err =
            container_pid_at(Path::new("/nonexistent/crio.sock"), "abc", TIMEOUT).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot connect to CRI-O at /nonexistent/crio.sock: No such file or directory (is crio running? set KOKO_CRIO_SOCKET=/path for another socket)"
        );
    }
}
