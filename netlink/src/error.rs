//! Errors, and the parser for `NLMSG_ERROR` replies with the kernel's extended ACK.

use crate::attr::align;
use crate::attr::AttrIter;
use crate::message::{EncodeError, Header, Message, HEADER_LEN, NLM_F_ACK_TLVS, NLM_F_CAPPED};
use std::{fmt, io};

/// Extended-ACK attribute types (`enum nlmsgerr_attrs` in `linux/netlink.h`).
pub const NLMSGERR_ATTR_MSG: u16 = 1;
pub const NLMSGERR_ATTR_OFFS: u16 = 2;
pub const NLMSGERR_ATTR_COOKIE: u16 = 3;
pub const NLMSGERR_ATTR_POLICY: u16 = 4;
pub const NLMSGERR_ATTR_MISS_TYPE: u16 = 5;
pub const NLMSGERR_ATTR_MISS_NEST: u16 = 6;

/// A parsed `NLMSG_ERROR` message: an ACK when `errno` is 0, an error otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ack {
    /// Positive errno value, or 0 for success.
    pub errno: i32,
    /// Header of the request that this message acknowledges.
    pub request: Header,
    /// The kernel's extended-ACK sentence, when it sent one.
    pub message: Option<String>,
    /// Byte offset in the request of the attribute the kernel rejected.
    pub offset: Option<u32>,
    /// Type of a required attribute the request lacked.
    pub missing_type: Option<u32>,
}

impl Ack {
    /// Parses the payload of an `NLMSG_ERROR` message. Returns `None` when it is too short
    /// to hold the error code and the request header.
    pub fn parse(message: &Message<'_>) -> Option<Ack> {
        let payload = message.payload;
        let code = i32::from_ne_bytes(payload.get(..4)?.try_into().ok()?);
        let request = Header::parse(payload.get(4..)?)?;
        let mut ack =
            Ack { errno: code.checked_neg().unwrap_or(i32::MAX), request, ..Ack::default() };
        if message.header.flags & NLM_F_ACK_TLVS == 0 {
            return Some(ack);
        }
        // With NLM_F_CAPPED the kernel echoed only the request's header, otherwise the
        // whole request, and the extended-ACK attributes follow it.
        let echoed = if message.header.flags & NLM_F_CAPPED != 0 {
            Some(HEADER_LEN)
        } else {
            align(request.len as usize)
        };
        let Some(tlvs) = echoed.and_then(|echoed| payload.get(echoed.checked_add(4)?..)) else {
            return Some(ack);
        };
        for attr in AttrIter::new(tlvs) {
            match attr.kind {
                NLMSGERR_ATTR_MSG => ack.message = attr.as_str().map(str::to_owned),
                NLMSGERR_ATTR_OFFS => ack.offset = attr.as_u32(),
                NLMSGERR_ATTR_MISS_TYPE => ack.missing_type = attr.as_u32(),
                _ => {}
            }
        }
        Some(ack)
    }
}

/// An error the kernel returned for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelError {
    pub errno: i32,
    pub message: Option<String>,
    pub offset: Option<u32>,
    pub missing_type: Option<u32>,
}

impl KernelError {
    pub fn io_error(&self) -> io::Error {
        io::Error::from_raw_os_error(self.errno)
    }
}

impl From<Ack> for KernelError {
    fn from(ack: Ack) -> Self {
        KernelError {
            errno: ack.errno,
            message: ack.message,
            offset: ack.offset,
            missing_type: ack.missing_type,
        }
    }
}

impl fmt::Display for KernelError {
    /// Shows the kernel's extended-ACK sentence when there is one, else the errno text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errno_text = describe_io_error(&self.io_error());
        match &self.message {
            Some(message) if !message.is_empty() => write!(f, "{message} ({errno_text})"),
            _ => f.write_str(&errno_text),
        }
    }
}

/// Returns the text of an I/O error without the " (os error N)" that std appends, so
/// messages read like the C tools' `strerror` output.
pub fn describe_io_error(error: &io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(at) if error.raw_os_error().is_some() => text[..at].to_owned(),
        _ => text,
    }
}

/// Any failure of a netlink request.
#[derive(Debug)]
pub enum Error {
    /// A socket call failed; `call` names it (`socket`, `bind`, `sendto`, `recvmsg` ...).
    Io { call: &'static str, source: io::Error },
    /// The request could not be encoded.
    Encode(EncodeError),
    /// The kernel rejected the request.
    Kernel(KernelError),
    /// The kernel's reply could not be parsed. The text names the defect.
    Malformed(&'static str),
    /// A dump changed while it was read (`NLM_F_DUMP_INTR`); it can be retried.
    DumpInterrupted,
}

impl Error {
    /// Returns the errno behind this error, if there is one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Io { source, .. } => source.raw_os_error(),
            Error::Kernel(kernel) => Some(kernel.errno),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { call, source } => {
                write!(f, "netlink {call} failed: {}", describe_io_error(source))
            }
            Error::Encode(error) => error.fmt(f),
            Error::Kernel(error) => error.fmt(f),
            Error::Malformed(what) => write!(f, "malformed netlink reply: {what}"),
            Error::DumpInterrupted => {
                f.write_str("netlink dump was interrupted by a concurrent change")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Encode(error) => Some(error),
            _ => None,
        }
    }
}

impl From<EncodeError> for Error {
    fn from(error: EncodeError) -> Self {
        Error::Encode(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{MessageIter, NLMSG_ERROR};

    fn error_message(flags: u16, code: i32, tail: &[u8]) -> Vec<u8> {
        let request = Header { len: 40, kind: 16, flags: 0x605, seq: 7, port: 0 };
        let mut payload = code.to_ne_bytes().to_vec();
        payload.extend_from_slice(&request.len.to_ne_bytes());
        payload.extend_from_slice(&request.kind.to_ne_bytes());
        payload.extend_from_slice(&request.flags.to_ne_bytes());
        payload.extend_from_slice(&request.seq.to_ne_bytes());
        payload.extend_from_slice(&request.port.to_ne_bytes());
        payload.extend_from_slice(tail);
        let len = (HEADER_LEN + payload.len()) as u32;
        let mut out = len.to_ne_bytes().to_vec();
        out.extend_from_slice(&NLMSG_ERROR.to_ne_bytes());
        out.extend_from_slice(&flags.to_ne_bytes());
        out.extend_from_slice(&7u32.to_ne_bytes());
        out.extend_from_slice(&1234u32.to_ne_bytes());
        out.extend_from_slice(&payload);
        out
    }

    #[test]
    fn ack_parses_extended_message() {
        // "File exists" with NLMSGERR_ATTR_MSG "boom" and NLMSGERR_ATTR_OFFS 36.
        let tail = [
            &[9, 0, 1, 0, b'b', b'o', b'o', b'm', 0, 0, 0, 0][..],
            &[8, 0, 2, 0],
            &36u32.to_ne_bytes(),
        ]
        .concat();
        let bytes = error_message(NLM_F_CAPPED | NLM_F_ACK_TLVS, -17, &tail);
        let message = MessageIter::new(&bytes).next().unwrap();
        let ack = Ack::parse(&message).unwrap();
        assert_eq!(ack.errno, 17);
        assert_eq!(ack.request.seq, 7);
        assert_eq!(ack.message.as_deref(), Some("boom"));
        assert_eq!(ack.offset, Some(36));
        let error = KernelError::from(ack);
        assert_eq!(error.to_string(), "boom (File exists)");
    }

    #[test]
    fn ack_without_tlvs_falls_back_to_errno() {
        let bytes = error_message(NLM_F_CAPPED, -19, &[]);
        let message = MessageIter::new(&bytes).next().unwrap();
        let error = KernelError::from(Ack::parse(&message).unwrap());
        assert_eq!(error.message, None);
        assert_eq!(error.to_string(), "No such device");
    }

    #[test]
    fn ack_of_success_has_errno_zero() {
        let bytes = error_message(NLM_F_CAPPED, 0, &[]);
        let message = MessageIter::new(&bytes).next().unwrap();
        assert_eq!(Ack::parse(&message).unwrap().errno, 0);
    }

    #[test]
    fn ack_survives_hostile_codes_and_lengths() {
        let bytes = error_message(NLM_F_ACK_TLVS, i32::MIN, &[0xff; 3]);
        let message = MessageIter::new(&bytes).next().unwrap();
        // The uncapped request claims 40 bytes, more than were echoed, so no TLVs are read.
        let ack = Ack::parse(&message).unwrap();
        assert_eq!(ack.errno, i32::MAX);
        assert_eq!(ack.message, None);
    }
}
