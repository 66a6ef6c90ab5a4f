//! Netlink messages (`struct nlmsghdr`): a builder for requests and a checked iterator for
//! replies.

use crate::attr::{align, ATTR_HEADER_LEN, NLA_F_NESTED};
use std::fmt;

/// Size of `struct nlmsghdr`.
pub const HEADER_LEN: usize = 16;

pub const NLMSG_NOOP: u16 = 1;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLMSG_OVERRUN: u16 = 4;

pub const NLM_F_REQUEST: u16 = 0x01;
pub const NLM_F_MULTI: u16 = 0x02;
pub const NLM_F_ACK: u16 = 0x04;
pub const NLM_F_ECHO: u16 = 0x08;
pub const NLM_F_DUMP_INTR: u16 = 0x10;
pub const NLM_F_ROOT: u16 = 0x100;
pub const NLM_F_MATCH: u16 = 0x200;
pub const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;
pub const NLM_F_REPLACE: u16 = 0x100;
pub const NLM_F_EXCL: u16 = 0x200;
pub const NLM_F_CREATE: u16 = 0x400;
/// On an `NLMSG_ERROR` reply: the original request was cut to its header.
pub const NLM_F_CAPPED: u16 = 0x100;
/// On an `NLMSG_ERROR` reply: extended-ACK attributes follow.
pub const NLM_F_ACK_TLVS: u16 = 0x200;

/// The fixed header of every netlink message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    pub len: u32,
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
    pub port: u32,
}

impl Header {
    pub fn parse(buf: &[u8]) -> Option<Header> {
        let bytes = buf.get(..HEADER_LEN)?;
        Some(Header {
            len: u32::from_ne_bytes(bytes[0..4].try_into().ok()?),
            kind: u16::from_ne_bytes(bytes[4..6].try_into().ok()?),
            flags: u16::from_ne_bytes(bytes[6..8].try_into().ok()?),
            seq: u32::from_ne_bytes(bytes[8..12].try_into().ok()?),
            port: u32::from_ne_bytes(bytes[12..16].try_into().ok()?),
        })
    }
}

/// A request that could not be encoded because a length does not fit its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    /// Type of the attribute being written.
    pub kind: u16,
    /// Length that was needed, in bytes.
    pub len: usize,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "netlink attribute {} would be {} bytes long, more than the 65535 that fit its length field",
            self.kind, self.len
        )
    }
}

impl std::error::Error for EncodeError {}

/// Position of an open nested attribute, returned by [`MessageBuilder::nest_start`].
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a nest must be closed with nest_end or nest_cancel"]
pub struct Nest {
    offset: usize,
}

/// Builds one netlink request in a growable buffer.
///
/// Every attribute is padded with zero bytes to the 4-byte alignment. The message length in
/// the header is written by [`MessageBuilder::finish`]. Family headers such as `ifinfomsg`
/// are appended with [`MessageBuilder::put_raw`] right after [`MessageBuilder::new`].
#[derive(Debug, Clone)]
pub struct MessageBuilder {
    buf: Vec<u8>,
}

impl MessageBuilder {
    /// Starts a message of type `kind` with `flags`; `NLM_F_REQUEST` is always set.
    pub fn new(kind: u16, flags: u16) -> Self {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(&0u32.to_ne_bytes());
        buf.extend_from_slice(&kind.to_ne_bytes());
        buf.extend_from_slice(&(flags | NLM_F_REQUEST).to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes()); // sequence number, set by finish
        buf.extend_from_slice(&0u32.to_ne_bytes()); // port id 0 addresses the kernel
        MessageBuilder { buf }
    }

    pub fn kind(&self) -> u16 {
        u16::from_ne_bytes([self.buf[4], self.buf[5]])
    }

    pub fn flags(&self) -> u16 {
        u16::from_ne_bytes([self.buf[6], self.buf[7]])
    }

    pub fn set_flags(&mut self, flags: u16) {
        self.buf[6..8].copy_from_slice(&(flags | NLM_F_REQUEST).to_ne_bytes());
    }

    /// Appends raw bytes (a family header) and pads them to the alignment.
    pub fn put_raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.pad();
    }

    fn pad(&mut self) {
        let padded = align(self.buf.len()).expect("a Vec never reaches usize::MAX");
        self.buf.resize(padded, 0);
    }

    /// Appends one attribute. Its length field counts the header and payload, not padding.
    pub fn put(&mut self, kind: u16, payload: &[u8]) -> Result<(), EncodeError> {
        let len = ATTR_HEADER_LEN + payload.len();
        let len16 = u16::try_from(len).map_err(|_| EncodeError { kind, len })?;
        self.buf.extend_from_slice(&len16.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.pad();
        Ok(())
    }

    pub fn put_u8(&mut self, kind: u16, value: u8) -> Result<(), EncodeError> {
        self.put(kind, &[value])
    }

    pub fn put_u16(&mut self, kind: u16, value: u16) -> Result<(), EncodeError> {
        self.put(kind, &value.to_ne_bytes())
    }

    /// Appends a `u16` in network byte order, as the kernel expects for UDP ports.
    pub fn put_be16(&mut self, kind: u16, value: u16) -> Result<(), EncodeError> {
        self.put(kind, &value.to_be_bytes())
    }

    pub fn put_u32(&mut self, kind: u16, value: u32) -> Result<(), EncodeError> {
        self.put(kind, &value.to_ne_bytes())
    }

    /// Appends a NUL-terminated string attribute.
    pub fn put_str(&mut self, kind: u16, value: &str) -> Result<(), EncodeError> {
        let len = ATTR_HEADER_LEN + value.len() + 1;
        let len16 = u16::try_from(len).map_err(|_| EncodeError { kind, len })?;
        self.buf.extend_from_slice(&len16.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(value.as_bytes());
        self.buf.push(0);
        self.pad();
        Ok(())
    }

    /// Opens a nested attribute; the attributes put until [`MessageBuilder::nest_end`] go
    /// inside it. `NLA_F_NESTED` is not set, matching iproute2, because older kernels
    /// reject it on some attributes.
    pub fn nest_start(&mut self, kind: u16) -> Nest {
        let offset = self.buf.len();
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        Nest { offset }
    }

    /// Like [`MessageBuilder::nest_start`], with `NLA_F_NESTED` set on the type.
    pub fn nest_start_flagged(&mut self, kind: u16) -> Nest {
        self.nest_start(kind | NLA_F_NESTED)
    }

    /// Closes a nested attribute. Its length includes the padding of its last member.
    pub fn nest_end(&mut self, nest: Nest) -> Result<(), EncodeError> {
        let len = self.buf.len() - nest.offset;
        let kind = u16::from_ne_bytes([self.buf[nest.offset + 2], self.buf[nest.offset + 3]]);
        let len16 = u16::try_from(len).map_err(|_| EncodeError { kind, len })?;
        self.buf[nest.offset..nest.offset + 2].copy_from_slice(&len16.to_ne_bytes());
        Ok(())
    }

    /// Removes a nested attribute and everything put inside it.
    pub fn nest_cancel(&mut self, nest: Nest) {
        self.buf.truncate(nest.offset);
    }

    /// Writes the total length and the sequence number and returns the wire bytes.
    pub fn finish(&mut self, seq: u32) -> Result<&[u8], EncodeError> {
        let len = u32::try_from(self.buf.len())
            .map_err(|_| EncodeError { kind: self.kind(), len: self.buf.len() })?;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.buf[8..12].copy_from_slice(&seq.to_ne_bytes());
        Ok(&self.buf)
    }

    /// Returns the bytes written so far, with the length field as last set by `finish`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }
}

/// One message borrowed from a received buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    pub header: Header,
    /// Everything after the netlink header: family header and attributes.
    pub payload: &'a [u8],
}

/// Iterator over the messages in one datagram. It validates every length before it reads,
/// and it stops at the first malformed message, which it records in
/// [`MessageIter::malformed`].
#[derive(Debug, Clone)]
pub struct MessageIter<'a> {
    rest: &'a [u8],
    malformed: bool,
}

impl<'a> MessageIter<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        MessageIter { rest: buf, malformed: false }
    }

    pub fn malformed(&self) -> bool {
        self.malformed
    }
}

impl<'a> Iterator for MessageIter<'a> {
    type Item = Message<'a>;

    fn next(&mut self) -> Option<Message<'a>> {
        if self.rest.is_empty() || self.malformed {
            return None;
        }
        let Some(header) = Header::parse(self.rest) else {
            self.malformed = true;
            return None;
        };
        let len = header.len as usize;
        if len < HEADER_LEN || len > self.rest.len() {
            self.malformed = true;
            return None;
        }
        let message = Message { header, payload: &self.rest[HEADER_LEN..len] };
        let next = align(len).unwrap_or(len).min(self.rest.len());
        self.rest = &self.rest[next..];
        Some(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_pads_and_sets_lengths() {
        let mut msg = MessageBuilder::new(16, NLM_F_ACK);
        msg.put_raw(&[1, 2, 3]);
        msg.put_str(3, "ab").unwrap();
        let nest = msg.nest_start(18);
        msg.put_u32(1, 7).unwrap();
        msg.nest_end(nest).unwrap();
        let bytes = msg.finish(9).unwrap().to_vec();
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &40u32.to_ne_bytes()[..], &16u16.to_ne_bytes(), &5u16.to_ne_bytes(),
            &9u32.to_ne_bytes(), &0u32.to_ne_bytes(),
            &[1, 2, 3, 0],
            &[7, 0, 3, 0, b'a', b'b', 0, 0],
            &[12, 0, 18, 0], &[8, 0, 1, 0], &7u32.to_ne_bytes(),
        ].concat();
        assert_eq!(bytes, expected);
    }

    #[test]
    fn oversized_attribute_is_an_error() {
        let mut msg = MessageBuilder::new(16, 0);
        let big = vec![0u8; 65532];
        assert_eq!(msg.put(1, &big), Err(EncodeError { kind: 1, len: 65536 }));
        assert!(msg.put(1, &big[..65531]).is_ok());
    }

    #[test]
    fn oversized_nest_is_an_error() {
        let mut msg = MessageBuilder::new(16, 0);
        let nest = msg.nest_start(2);
        msg.put(1, &vec![0u8; 40000]).unwrap();
        msg.put(1, &vec![0u8; 40000]).unwrap();
        assert!(msg.nest_end(nest).is_err());
    }

    #[test]
    fn nest_cancel_removes_contents() {
        let mut msg = MessageBuilder::new(16, 0);
        let before = msg.as_bytes().len();
        let nest = msg.nest_start(2);
        msg.put_u32(1, 1).unwrap();
        msg.nest_cancel(nest);
        assert_eq!(msg.as_bytes().len(), before);
    }

    #[test]
    fn iter_rejects_truncated_messages() {
        let mut msg = MessageBuilder::new(16, 0);
        msg.put_u32(1, 1).unwrap();
        let bytes = msg.finish(1).unwrap().to_vec();
        assert_eq!(MessageIter::new(&bytes).count(), 1);
        let mut iter = MessageIter::new(&bytes[..bytes.len() - 1]);
        assert!(iter.next().is_none());
        assert!(iter.malformed());
        let mut short_len = bytes.clone();
        short_len[0..4].copy_from_slice(&8u32.to_ne_bytes());
        let mut iter = MessageIter::new(&short_len);
        assert!(iter.next().is_none());
        assert!(iter.malformed());
    }
}
