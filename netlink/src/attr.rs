//! Netlink attributes (`struct nlattr`): alignment, encoding limits and a checked iterator.

/// Netlink aligns every header and attribute to 4 bytes (`NLA_ALIGNTO`, `NLMSG_ALIGNTO`).
pub const ALIGN_TO: usize = 4;

/// Size of `struct nlattr`: a `u16` length followed by a `u16` type.
pub const ATTR_HEADER_LEN: usize = 4;

/// Set on the type of an attribute that contains other attributes.
pub const NLA_F_NESTED: u16 = 1 << 15;
/// Set on the type of an attribute whose payload is in network byte order.
pub const NLA_F_NET_BYTEORDER: u16 = 1 << 14;
/// Mask that strips both flags from an attribute type.
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

/// Rounds `len` up to the netlink alignment, or returns `None` on overflow.
pub const fn align(len: usize) -> Option<usize> {
    match len.checked_add(ALIGN_TO - 1) {
        Some(padded) => Some(padded & !(ALIGN_TO - 1)),
        None => None,
    }
}

/// One attribute borrowed from a received buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr<'a> {
    /// Attribute type without the nested and byte-order flags.
    pub kind: u16,
    /// Whether the sender set `NLA_F_NESTED`.
    pub nested: bool,
    /// Payload, without padding.
    pub payload: &'a [u8],
}

impl<'a> Attr<'a> {
    /// Iterates over the attributes contained in this attribute's payload.
    pub fn attrs(&self) -> AttrIter<'a> {
        AttrIter::new(self.payload)
    }

    pub fn as_u8(&self) -> Option<u8> {
        self.payload.first().copied()
    }

    pub fn as_u16(&self) -> Option<u16> {
        Some(u16::from_ne_bytes(self.payload.get(..2)?.try_into().ok()?))
    }

    pub fn as_u32(&self) -> Option<u32> {
        Some(u32::from_ne_bytes(self.payload.get(..4)?.try_into().ok()?))
    }

    pub fn as_i32(&self) -> Option<i32> {
        self.as_u32().map(|value| value as i32)
    }

    /// Reads a string attribute, which the kernel terminates with NUL (the NUL is optional
    /// here, and everything after the first NUL is ignored).
    pub fn as_str(&self) -> Option<&'a str> {
        let end = self.payload.iter().position(|&b| b == 0).unwrap_or(self.payload.len());
        std::str::from_utf8(&self.payload[..end]).ok()
    }
}

/// Iterator over a run of attributes that validates every length before it reads.
///
/// It stops at the first malformed attribute and records that in [`AttrIter::malformed`], so
/// a caller can tell a clean end from a truncated buffer. It does not panic on any input, which
/// the fuzz targets and `netlink/tests/minifuzz.rs` check.
#[derive(Debug, Clone)]
pub struct AttrIter<'a> {
    rest: &'a [u8],
    malformed: bool,
}

impl<'a> AttrIter<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        AttrIter { rest: buf, malformed: false }
    }

    /// Reports whether iteration stopped at a malformed attribute instead of the end of the buffer.
    pub fn malformed(&self) -> bool {
        self.malformed
    }

    /// Finds the first attribute of type `kind`.
    pub fn find(buf: &'a [u8], kind: u16) -> Option<Attr<'a>> {
        AttrIter::new(buf).find(|attr| attr.kind == kind)
    }
}

impl<'a> Iterator for AttrIter<'a> {
    type Item = Attr<'a>;

    fn next(&mut self) -> Option<Attr<'a>> {
        if self.rest.is_empty() || self.malformed {
            return None;
        }
        if self.rest.len() < ATTR_HEADER_LEN {
            self.malformed = true;
            return None;
        }
        let len = u16::from_ne_bytes([self.rest[0], self.rest[1]]) as usize;
        let raw_kind = u16::from_ne_bytes([self.rest[2], self.rest[3]]);
        if len < ATTR_HEADER_LEN || len > self.rest.len() {
            self.malformed = true;
            return None;
        }
        let attr = Attr {
            kind: raw_kind & NLA_TYPE_MASK,
            nested: raw_kind & NLA_F_NESTED != 0,
            payload: &self.rest[ATTR_HEADER_LEN..len],
        };
        // The last attribute of a message may lack its padding.
        let next = align(len).unwrap_or(len).min(self.rest.len());
        self.rest = &self.rest[next..];
        Some(attr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn align_rounds_up_to_four() {
        assert_eq!(align(0), Some(0));
        assert_eq!(align(1), Some(4));
        assert_eq!(align(4), Some(4));
        assert_eq!(align(5), Some(8));
        assert_eq!(align(usize::MAX), None);
    }

    #[test]
    fn iter_reads_padded_attributes() {
        // len 5, type 3, "a\0" would be len 6; use one byte payload then padding.
        let buf = [5, 0, 3, 0, b'x', 0, 0, 0, 8, 0, 4, 0, 1, 0, 0, 0];
        let attrs: Vec<_> = AttrIter::new(&buf).collect();
        assert_eq!(attrs.len(), 2);
        assert_eq!(attrs[0].kind, 3);
        assert_eq!(attrs[0].payload, b"x");
        assert_eq!(attrs[1].as_u32(), Some(1));
    }

    #[test]
    fn iter_stops_at_bad_length() {
        let buf = [200, 0, 3, 0, 1, 2, 3, 4];
        let mut iter = AttrIter::new(&buf);
        assert_eq!(iter.next(), None);
        assert!(iter.malformed());

        let buf = [2, 0, 3, 0];
        let mut iter = AttrIter::new(&buf);
        assert_eq!(iter.next(), None);
        assert!(iter.malformed());

        let buf = [4, 0];
        let mut iter = AttrIter::new(&buf);
        assert_eq!(iter.next(), None);
        assert!(iter.malformed());
    }

    #[test]
    fn iter_accepts_missing_final_padding() {
        let buf = [5, 0, 3, 0, b'x'];
        let attrs: Vec<_> = AttrIter::new(&buf).collect();
        assert_eq!(attrs.len(), 1);
        assert_eq!(attrs[0].as_str(), Some("x"));
    }

    #[test]
    fn nested_flag_is_split_from_kind() {
        let buf = [4, 0, 0x12, 0x80];
        let attr = AttrIter::new(&buf).next().unwrap();
        assert_eq!(attr.kind, 0x12);
        assert!(attr.nested);
    }
}
