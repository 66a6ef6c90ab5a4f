//! A minimal HTTP/1.1 client for the container engines' unix sockets.
//!
//! Each request opens its own connection and sends `Connection: close`. Parsing is kept
//! apart from I/O: [`parse_response`] takes the bytes of a whole reply, so tests and
//! fuzzers can feed it anything.

use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// Maximum size of a reply, status line and headers included. A `docker inspect` reply is
/// a few kilobytes, so anything near this limit is a broken or hostile engine.
pub const MAX_RESPONSE_LEN: usize = 4 << 20;

/// Time allowed for a whole request: connecting, sending and reading the full reply.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed HTTP response with its body already de-chunked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    /// Header fields in the order received, names as sent by the server.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// Returns the value of the first header field called `name`, compared
    /// case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Reasons why a reply cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The bytes end before the message does.
    Truncated,
    /// The reply, or a length it announces, exceeds [`MAX_RESPONSE_LEN`].
    TooLarge,
    /// The reply breaks the HTTP/1.1 syntax; the text names the part.
    Malformed(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Truncated => f.write_str("the reply ended before the message was complete"),
            ParseError::TooLarge => {
                write!(f, "the reply is larger than the {} MiB limit", MAX_RESPONSE_LEN >> 20)
            }
            ParseError::Malformed(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for ParseError {}

/// Failures of one request, without the name of the engine; `runtime::Error` adds it.
#[derive(Debug)]
pub enum Error {
    /// connect(2) on the socket failed.
    Connect(io::Error),
    /// Writing the request failed.
    Send(io::Error),
    /// Reading the reply failed.
    Receive(io::Error),
    /// The whole exchange took longer than the given timeout.
    TimedOut(Duration),
    /// The reply is not valid HTTP/1.1 or is too large.
    Parse(ParseError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Connect(err) => write!(f, "cannot connect: {err}"),
            Error::Send(err) => write!(f, "failed to send the request: {err}"),
            Error::Receive(err) => write!(f, "failed to read the reply: {err}"),
            Error::TimedOut(timeout) => {
                write!(f, "timed out after {} waiting for the reply", format_duration(*timeout))
            }
            Error::Parse(err) => write!(f, "malformed reply: {err}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Connect(err) | Error::Send(err) | Error::Receive(err) => Some(err),
            Error::TimedOut(_) => None,
            Error::Parse(err) => Some(err),
        }
    }
}

/// Formats a timeout for messages: whole seconds as "10 s", shorter ones in milliseconds.
pub(crate) fn format_duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 && duration.as_secs() > 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

/// Sends `GET target` to the HTTP server on the unix socket at `socket` and reads the
/// whole reply.
///
/// `target` must already be percent-encoded; a target or host with a space or control
/// character is rejected with `Error::Send` before anything is sent. Any status code is
/// returned as a `Response`, so callers decide which ones are errors.
pub fn get(socket: &Path, host: &str, target: &str, timeout: Duration) -> Result<Response, Error> {
    let is_visible = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic());
    if !is_visible(target) || !is_visible(host) {
        return Err(Error::Send(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid request target {target:?} or host {host:?}"),
        )));
    }
    if timeout.is_zero() {
        return Err(Error::TimedOut(timeout));
    }
    let deadline = Instant::now() + timeout;

    // NOTE: connect(2) on a unix socket blocks only while the listener's backlog is full,
    // and std offers no connect timeout for unix sockets, so that case is not bounded.
    let mut stream = UnixStream::connect(socket).map_err(Error::Connect)?;

    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: koko/{}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    stream.set_write_timeout(Some(timeout)).map_err(Error::Send)?;
    stream.write_all(request.as_bytes()).map_err(|err| {
        if is_timeout(&err) {
            Error::TimedOut(timeout)
        } else {
            Error::Send(err)
        }
    })?;

    read_response(&mut stream, deadline, timeout)
}

/// Reads until the reply is complete, the server closes the connection, the size limit
/// is passed or the deadline expires, whichever comes first.
fn read_response(
    stream: &mut UnixStream,
    deadline: Instant,
    timeout: Duration,
) -> Result<Response, Error> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        // Each read gets only the time left, so a server that trickles bytes cannot
        // stretch the exchange past the deadline.
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Error::TimedOut(timeout));
        }
        stream.set_read_timeout(Some(remaining)).map_err(Error::Receive)?;

        let count = match stream.read(&mut buffer) {
            Ok(count) => count,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) if is_timeout(&err) => return Err(Error::TimedOut(timeout)),
            Err(err) => return Err(Error::Receive(err)),
        };
        if count == 0 {
            return parse_response(&received).map_err(Error::Parse);
        }
        if received.len() + count > MAX_RESPONSE_LEN {
            return Err(Error::Parse(ParseError::TooLarge));
        }
        received.extend_from_slice(&buffer[..count]);

        // A server may keep the connection open despite `Connection: close`, so stop as
        // soon as the framing shows that the message is complete.
        match parse(&received, false) {
            Ok(response) => return Ok(response),
            Err(ParseError::Truncated) => continue,
            Err(err) => return Err(Error::Parse(err)),
        }
    }
}

fn is_timeout(err: &io::Error) -> bool {
    matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

/// Parses a complete reply: the connection has been closed after the last byte.
///
/// Interim 1xx responses are skipped. The body is framed by `Transfer-Encoding: chunked`,
/// by `Content-Length`, or by the end of the bytes when neither is present. Bytes after a
/// framed body are ignored. Any input gives a `Response` or an error, and
/// `parse_response_never_panics` checks this on random and mutated replies.
pub fn parse_response(bytes: &[u8]) -> Result<Response, ParseError> {
    parse(bytes, true)
}

/// Parses a reply; with `at_eof` false, a body delimited only by the end of the
/// connection is reported as `Truncated` because more bytes may follow.
fn parse(bytes: &[u8], at_eof: bool) -> Result<Response, ParseError> {
    let mut rest = bytes;
    loop {
        let (head, after_head) = split_head(rest)?;
        let (status, reason, headers) = parse_head(head)?;
        if status == 101 {
            return Err(malformed("unexpected 101 Switching Protocols"));
        }
        if (100..200).contains(&status) {
            rest = after_head;
            continue;
        }

        let body = if status == 204 || status == 304 {
            Vec::new()
        } else {
            parse_body(&headers, after_head, at_eof)?
        };
        return Ok(Response { status, reason, headers, body });
    }
}

fn malformed(reason: impl Into<String>) -> ParseError {
    ParseError::Malformed(reason.into())
}

/// Splits off one line ending in LF, without the LF and an optional CR before it.
/// Returns `None` when no LF is left.
fn take_line(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let newline = bytes.iter().position(|&b| b == b'\n')?;
    let line = &bytes[..newline];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, &bytes[newline + 1..]))
}

/// Splits the bytes into the header section (status line and fields, without the empty
/// line) and the rest.
fn split_head(bytes: &[u8]) -> Result<(&[u8], &[u8]), ParseError> {
    let mut rest = bytes;
    loop {
        let (line, after) = take_line(rest).ok_or(ParseError::Truncated)?;
        if line.is_empty() {
            let head_len = bytes.len() - rest.len();
            return Ok((&bytes[..head_len], after));
        }
        rest = after;
    }
}

type Head = (u16, String, Vec<(String, String)>);

fn parse_head(head: &[u8]) -> Result<Head, ParseError> {
    let (status_line, mut rest) =
        take_line(head).ok_or_else(|| malformed("missing status line"))?;
    let (status, reason) = parse_status_line(status_line)?;

    let mut headers = Vec::new();
    while let Some((line, after)) = take_line(rest) {
        headers.push(parse_field(line)?);
        rest = after;
    }
    Ok((status, reason, headers))
}

/// Parses `HTTP/1.x SP 3DIGIT [SP reason]`. HTTP/1.0 replies are accepted because their
/// framing rules are a subset of HTTP/1.1's.
fn parse_status_line(line: &[u8]) -> Result<(u16, String), ParseError> {
    let invalid = || malformed(format!("invalid status line {:?}", lossy_prefix(line)));

    let rest = line.strip_prefix(b"HTTP/1.").ok_or_else(invalid)?;
    let (minor, rest) = rest.split_first().ok_or_else(invalid)?;
    if !minor.is_ascii_digit() {
        return Err(invalid());
    }
    let rest = rest.strip_prefix(b" ").ok_or_else(invalid)?;
    if rest.len() < 3 || !rest[..3].iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let status = rest[..3].iter().fold(0u16, |acc, digit| acc * 10 + u16::from(digit - b'0'));
    if status < 100 {
        return Err(invalid());
    }
    let reason = match &rest[3..] {
        [] => &[][..],
        [b' ', reason @ ..] => reason,
        _ => return Err(invalid()),
    };
    Ok((status, String::from_utf8_lossy(reason).into_owned()))
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn parse_field(line: &[u8]) -> Result<(String, String), ParseError> {
    if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
        return Err(malformed("obsolete line folding in a header field"));
    }
    let colon = line.iter().position(|&b| b == b':').ok_or_else(|| {
        malformed(format!("header field without a colon: {:?}", lossy_prefix(line)))
    })?;
    let name = &line[..colon];
    if name.is_empty() || !name.iter().all(|&b| is_token_byte(b)) {
        return Err(malformed(format!("invalid header field name {:?}", lossy_prefix(name))));
    }
    let value = trim_whitespace(&line[colon + 1..]);
    if value.iter().any(|&b| b == 0 || b == b'\r') {
        return Err(malformed(format!(
            "invalid character in header field {:?}",
            String::from_utf8_lossy(name)
        )));
    }
    Ok((String::from_utf8_lossy(name).into_owned(), String::from_utf8_lossy(value).into_owned()))
}

fn trim_whitespace(bytes: &[u8]) -> &[u8] {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_space(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !is_space(b)).map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// Returns at most the first 64 bytes as text, for error messages about hostile input.
fn lossy_prefix(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).into_owned()
}

/// Returns the comma-separated elements of every field called `name`, in order.
fn field_list<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(key, _)| key.eq_ignore_ascii_case(name))
        .flat_map(|(_, value)| value.split(','))
        .map(str::trim)
        .filter(|element| !element.is_empty())
        .collect()
}

fn parse_body(
    headers: &[(String, String)],
    rest: &[u8],
    at_eof: bool,
) -> Result<Vec<u8>, ParseError> {
    let has_transfer_encoding =
        headers.iter().any(|(key, _)| key.eq_ignore_ascii_case("transfer-encoding"));
    let content_encodings = field_list(headers, "content-encoding");
    if let Some(coding) =
        content_encodings.iter().find(|coding| !coding.eq_ignore_ascii_case("identity"))
    {
        return Err(malformed(format!("unsupported Content-Encoding {coding:?}")));
    }

    // Transfer-Encoding overrides Content-Length (RFC 9112, section 6.3).
    if has_transfer_encoding {
        let codings = field_list(headers, "transfer-encoding");
        return match codings.as_slice() {
            [only] if only.eq_ignore_ascii_case("chunked") => decode_chunked(rest),
            _ => Err(malformed(format!(
                "unsupported Transfer-Encoding {:?} (expected chunked)",
                codings.join(", ")
            ))),
        };
    }

    if let Some(length) = content_length(headers)? {
        if length > MAX_RESPONSE_LEN {
            return Err(ParseError::TooLarge);
        }
        return match rest.get(..length) {
            Some(body) => Ok(body.to_vec()),
            None => Err(ParseError::Truncated),
        };
    }

    if !at_eof {
        return Err(ParseError::Truncated);
    }
    if rest.len() > MAX_RESPONSE_LEN {
        return Err(ParseError::TooLarge);
    }
    Ok(rest.to_vec())
}

/// Returns the body length announced by Content-Length. Repeated fields or list elements
/// are accepted only when they all agree (RFC 9110, section 8.6).
fn content_length(headers: &[(String, String)]) -> Result<Option<usize>, ParseError> {
    let mut length = None;
    for element in field_list(headers, "content-length") {
        if !element.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed(format!(
                "invalid Content-Length {element:?} (expected a decimal number)"
            )));
        }
        // Any number above the limit is rejected anyway, so saturating is enough.
        let value = element.bytes().fold(0usize, |acc, digit| {
            acc.saturating_mul(10).saturating_add(usize::from(digit - b'0'))
        });
        match length {
            Some(previous) if previous != value => {
                return Err(malformed("conflicting Content-Length values"));
            }
            _ => length = Some(value),
        }
    }
    if length.is_none() && headers.iter().any(|(key, _)| key.eq_ignore_ascii_case("content-length"))
    {
        return Err(malformed("empty Content-Length"));
    }
    Ok(length)
}

/// Decodes a chunked body: `size-in-hex [; extensions] CRLF data CRLF` repeated, then a
/// zero-size chunk, optional trailer fields and an empty line. Extensions and trailers
/// are checked for syntax and dropped.
fn decode_chunked(mut rest: &[u8]) -> Result<Vec<u8>, ParseError> {
    let mut body = Vec::new();
    loop {
        let (line, after) = take_line(rest).ok_or(ParseError::Truncated)?;
        rest = after;
        let size_text = match line.iter().position(|&b| b == b';') {
            Some(semicolon) => &line[..semicolon],
            None => line,
        };
        let size = parse_chunk_size(trim_whitespace(size_text))?;

        if size == 0 {
            loop {
                let (line, after) = take_line(rest).ok_or(ParseError::Truncated)?;
                rest = after;
                if line.is_empty() {
                    return Ok(body);
                }
                parse_field(line)?;
            }
        }

        if body.len() + size > MAX_RESPONSE_LEN {
            return Err(ParseError::TooLarge);
        }
        let data = rest.get(..size).ok_or(ParseError::Truncated)?;
        body.extend_from_slice(data);
        rest = &rest[size..];

        let (line, after) = take_line(rest).ok_or(ParseError::Truncated)?;
        if !line.is_empty() {
            return Err(malformed("chunk data is longer than its announced size"));
        }
        rest = after;
    }
}

fn parse_chunk_size(text: &[u8]) -> Result<usize, ParseError> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_hexdigit) {
        return Err(malformed(format!(
            "invalid chunk size {:?} (expected hexadecimal digits)",
            lossy_prefix(text)
        )));
    }
    let mut size: usize = 0;
    for &digit in text {
        let value = (digit as char).to_digit(16).unwrap_or(0) as usize;
        size = size * 16 + value;
        if size > MAX_RESPONSE_LEN {
            return Err(ParseError::TooLarge);
        }
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::test_support::Rng;

    fn ok(bytes: &[u8]) -> Response {
        match parse_response(bytes) {
            Ok(response) => response,
            Err(err) => {
                panic!("parse_response({:?}) failed: {err}", String::from_utf8_lossy(bytes))
            }
        }
    }

    fn err(bytes: &[u8]) -> ParseError {
        match parse_response(bytes) {
            Ok(response) => panic!(
                "parse_response({:?}) succeeded: {response:?}",
                String::from_utf8_lossy(bytes)
            ),
            Err(err) => err,
        }
    }

    fn is_malformed(err: &ParseError) -> bool {
        matches!(err, ParseError::Malformed(_))
    }

    #[test]
    fn content_length_body() {
        let response = ok(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}trailing");
        assert_eq!(response.status, 200);
        assert_eq!(response.reason, "OK");
        assert_eq!(response.body, b"{}");
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.header("CONTENT-LENGTH"), Some("2"));
    }

    #[test]
    fn body_until_eof() {
        let response = ok(b"HTTP/1.0 200 OK\r\n\r\nhello");
        assert_eq!(response.body, b"hello");
        assert_eq!(parse(b"HTTP/1.0 200 OK\r\n\r\nhello", false), Err(ParseError::Truncated));
    }

    #[test]
    fn bare_lf_line_endings() {
        let response = ok(b"HTTP/1.1 404 Not Found\nContent-Length: 3\n\nabc");
        assert_eq!(response.status, 404);
        assert_eq!(response.body, b"abc");
    }

    #[test]
    fn status_line_variants() {
        assert_eq!(ok(b"HTTP/1.1 200\r\n\r\n").reason, "");
        assert_eq!(
            ok(b"HTTP/1.1 500 Internal Server Error\r\n\r\n").reason,
            "Internal Server Error"
        );
        assert!(is_malformed(&err(b"HTTP/2 200 OK\r\n\r\n")));
        assert!(is_malformed(&err(b"HTTP/1.1 20 OK\r\n\r\n")));
        assert!(is_malformed(&err(b"HTTP/1.1 2000 OK\r\n\r\n")));
        assert!(is_malformed(&err(b"HTTP/1.1 099 Low\r\n\r\n")));
        assert!(is_malformed(&err(b"HTTP/1.1  200 OK\r\n\r\n")));
        assert!(is_malformed(&err(b"\r\n\r\n")));
        assert!(is_malformed(&err(b"garbage\r\n\r\n")));
    }

    #[test]
    fn no_header_end_is_truncated() {
        assert_eq!(err(b""), ParseError::Truncated);
        assert_eq!(err(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"), ParseError::Truncated);
    }

    #[test]
    fn chunked_body() {
        let response = ok(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;name=value\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n");
        assert_eq!(response.body, b"Wikipedia in\r\n\r\nchunks.");
    }

    #[test]
    fn chunked_overrides_content_length() {
        let response = ok(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
        assert_eq!(response.body, b"ok");
    }

    #[test]
    fn chunked_truncated() {
        let full: &[u8] =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n0\r\n\r\n";
        let head_len = full.len() - b"4\r\nWiki\r\n0\r\n\r\n".len();
        for cut in head_len..full.len() {
            assert_eq!(err(&full[..cut]), ParseError::Truncated, "cut at {cut}");
        }
        assert_eq!(ok(full).body, b"Wiki");
    }

    #[test]
    fn chunk_size_invalid() {
        let reply = |size: &str| {
            format!(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\nabcd\r\n0\r\n\r\n"
            )
        };
        assert_eq!(err(reply("ffffffffffffffffff").as_bytes()), ParseError::TooLarge);
        assert_eq!(err(reply("400001").as_bytes()), ParseError::TooLarge);
        assert!(is_malformed(&err(reply("").as_bytes())));
        assert!(is_malformed(&err(reply("-4").as_bytes())));
        assert!(is_malformed(&err(reply("0x4").as_bytes())));
        assert!(is_malformed(&err(reply("3").as_bytes())));
    }

    #[test]
    fn chunked_with_other_codings_rejected() {
        assert!(is_malformed(&err(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
        )));
        assert!(is_malformed(&err(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")));
        assert!(is_malformed(&err(b"HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n")));
        assert!(is_malformed(&err(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n"
        )));
    }

    #[test]
    fn content_length_invalid() {
        assert!(is_malformed(&err(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")));
        assert!(is_malformed(&err(b"HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n")));
        assert!(is_malformed(&err(b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello")));
        assert!(is_malformed(&err(b"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n")));
        assert_eq!(
            err(b"HTTP/1.1 200 OK\r\nContent-Length: 4194305\r\n\r\n"),
            ParseError::TooLarge
        );
        assert_eq!(
            err(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999999\r\n\r\n"),
            ParseError::TooLarge
        );
        assert_eq!(
            err(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"),
            ParseError::Truncated
        );
    }

    #[test]
    fn content_length_duplicates() {
        assert_eq!(
            ok(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok").body,
            b"ok"
        );
        assert_eq!(ok(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok").body, b"ok");
        assert!(is_malformed(&err(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!"
        )));
    }

    #[test]
    fn header_duplicates_keep_first_for_lookup() {
        let response = ok(b"HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(response.header("X-A"), Some("1"));
        assert_eq!(response.headers.len(), 3);
    }

    #[test]
    fn header_syntax_errors() {
        assert!(is_malformed(&err(b"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n")));
        assert!(is_malformed(&err(b"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n")));
        assert!(is_malformed(&err(b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n")));
        assert!(is_malformed(&err(b"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n")));
        assert!(is_malformed(&err(b"HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n")));
    }

    #[test]
    fn interim_responses_skipped() {
        let response =
            ok(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
        assert_eq!(response.status, 200);
        assert_eq!(response.body, b"x");
        assert!(is_malformed(&err(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")));
    }

    #[test]
    fn no_content_has_no_body() {
        let response = ok(b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n");
        assert!(response.body.is_empty());
    }

    #[test]
    fn oversize_body_until_eof() {
        let mut reply = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        reply.resize(reply.len() + MAX_RESPONSE_LEN + 1, b'x');
        assert_eq!(err(&reply), ParseError::TooLarge);
    }

    const SAMPLES: &[&[u8]] = &[
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"Pid\": 1234}",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;a=b\r\npedia\r\n0\r\nX: y\r\n\r\n",
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 29\r\n\r\n{\"message\":\"No such container\"}",
        b"HTTP/1.0 500 Internal Server Error\r\n\r\nboom",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    ];

    /// Feeds random and mutated replies to the parser; a panic fails the test.
    #[test]
    fn parse_response_never_panics() {
        let mut rng = Rng::new(0x6b6f_6b6f_6874_7470);
        let alphabet: &[u8] =
            b"HTP/1. 0123456789abcdefABCDEF:;,\r\n\t-chunkedContent-LengthTransfer-Encoding";
        for round in 0..40_000 {
            let input = if round % 4 == 0 {
                let len = rng.below(200);
                (0..len).map(|_| rng.byte_from(alphabet)).collect()
            } else {
                let sample = SAMPLES[rng.below(SAMPLES.len())];
                rng.mutate(sample, alphabet)
            };
            let _ = parse_response(&input);
            let _ = parse(&input, false);
        }
    }
}
