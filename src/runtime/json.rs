//! A small JSON reader (RFC 8259) for the replies of container engines.
//!
//! [`parse`] builds a [`Value`] tree from a whole document. [`Value::lookup`] then walks
//! a path of object keys, so a key is found only at that path, never by searching the
//! text.

use std::fmt;

/// Maximum nesting of arrays and objects. Engine replies nest fewer than ten levels; the
/// limit keeps the recursive parser's stack use bounded on hostile input.
pub const MAX_DEPTH: usize = 128;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A number kept as its validated source text, so large or precise numbers lose
    /// nothing until a caller converts them.
    Number(String),
    String(String),
    Array(Vec<Value>),
    /// Members in document order, duplicates included.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// Returns the member `key` of an object, or `None` for a missing key or a value that
    /// is not an object. With duplicate keys the last one wins.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => {
                members.iter().rev().find(|(name, _)| name == key).map(|(_, value)| value)
            }
            _ => None,
        }
    }

    /// Follows a path of object keys from this value, e.g. `["State", "Pid"]`.
    pub fn lookup(&self, path: &[&str]) -> Option<&Value> {
        path.iter().try_fold(self, |value, key| value.get(key))
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(value) => Some(*value),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(value) => Some(value),
            _ => None,
        }
    }

    /// Returns the number as an `i64` when it is written as an integer (no fraction or
    /// exponent) that fits; `None` otherwise.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(text) => text.parse().ok(),
            _ => None,
        }
    }
}

/// A syntax error with the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub offset: usize,
    pub reason: &'static str,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JSON at byte {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for Error {}

/// Parses a whole document: one value with optional whitespace around it.
///
/// Strings are decoded liberally: invalid UTF-8 and lone surrogate escapes become U+FFFD
/// instead of failing the whole document. Any input gives a `Value` or an error, and
/// `parse_never_panics` checks this on random and mutated documents.
pub fn parse(bytes: &[u8]) -> Result<Value, Error> {
    let mut parser = Parser { bytes, pos: 0, depth: 0 };
    let value = parser.parse_value()?;
    parser.skip_whitespace();
    if parser.pos != bytes.len() {
        return Err(parser.error("unexpected data after the document"));
    }
    Ok(value)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, reason: &'static str) -> Error {
        Error { offset: self.pos, reason }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, literal: &[u8], value: Value) -> Result<Value, Error> {
        if self.bytes[self.pos..].starts_with(literal) {
            self.pos += literal.len();
            Ok(value)
        } else {
            Err(self.error("invalid literal (expected true, false or null)"))
        }
    }

    fn parse_value(&mut self) -> Result<Value, Error> {
        self.skip_whitespace();
        match self.peek() {
            None => Err(self.error("unexpected end of input (expected a value)")),
            Some(b'{') => self.parse_nested(Self::parse_object),
            Some(b'[') => self.parse_nested(Self::parse_array),
            Some(b'"') => self.parse_string().map(Value::String),
            Some(b't') => self.expect_literal(b"true", Value::Bool(true)),
            Some(b'f') => self.expect_literal(b"false", Value::Bool(false)),
            Some(b'n') => self.expect_literal(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.parse_number(),
            Some(_) => Err(self.error("unexpected character (expected a value)")),
        }
    }

    fn parse_nested(
        &mut self,
        parse: fn(&mut Self) -> Result<Value, Error>,
    ) -> Result<Value, Error> {
        if self.depth == MAX_DEPTH {
            return Err(self.error("arrays and objects nested deeper than 128 levels"));
        }
        self.depth += 1;
        let value = parse(self);
        self.depth -= 1;
        value
    }

    fn parse_object(&mut self) -> Result<Value, Error> {
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string as object key"));
            }
            let key = self.parse_string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after object key"));
            }
            self.pos += 1;
            let value = self.parse_value()?;
            members.push((key, value));

            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}' in object")),
            }
        }
    }

    fn parse_array(&mut self) -> Result<Value, Error> {
        self.pos += 1;
        let mut elements = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(elements));
        }
        loop {
            elements.push(self.parse_value()?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(elements));
                }
                _ => return Err(self.error("expected ',' or ']' in array")),
            }
        }
    }

    fn parse_digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Parses `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn parse_number(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.parse_digits();
            }
            _ => return Err(self.error("invalid number (expected a digit)")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.parse_digits() == 0 {
                return Err(self.error("invalid number (expected a digit after '.')"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.parse_digits() == 0 {
                return Err(self.error("invalid number (expected a digit in the exponent)"));
            }
        }
        // The grammar above admits only ASCII, so this conversion is lossless.
        let text = String::from_utf8_lossy(&self.bytes[start..self.pos]).into_owned();
        Ok(Value::Number(text))
    }

    fn parse_hex4(&mut self) -> Result<u32, Error> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("truncated \\u escape"))?;
        let mut value = 0;
        for &digit in digits {
            let nibble = (digit as char).to_digit(16).ok_or_else(|| {
                self.error("invalid \\u escape (expected four hexadecimal digits)")
            })?;
            value = value * 16 + nibble;
        }
        self.pos += 4;
        Ok(value)
    }

    /// Decodes a `\uXXXX` escape whose `\u` has been consumed, joining a surrogate pair
    /// when a low surrogate escape follows a high one.
    fn parse_unicode_escape(&mut self) -> Result<char, Error> {
        let first = self.parse_hex4()?;
        match first {
            0xD800..=0xDBFF => {
                if !self.bytes[self.pos..].starts_with(b"\\u") {
                    return Ok(char::REPLACEMENT_CHARACTER);
                }
                let saved = self.pos;
                self.pos += 2;
                let second = self.parse_hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    // The second escape is a character of its own; decode it next time.
                    self.pos = saved;
                    return Ok(char::REPLACEMENT_CHARACTER);
                }
                let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                Ok(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER))
            }
            0xDC00..=0xDFFF => Ok(char::REPLACEMENT_CHARACTER),
            _ => Ok(char::from_u32(first).unwrap_or(char::REPLACEMENT_CHARACTER)),
        }
    }

    /// Decodes the escape sequence after a backslash.
    fn parse_escape(&mut self) -> Result<char, Error> {
        let Some(byte) = self.peek() else {
            return Err(self.error("unterminated string"));
        };
        let escaped = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                self.pos += 1;
                return self.parse_unicode_escape();
            }
            _ => return Err(self.error("invalid escape sequence in string")),
        };
        self.pos += 1;
        Ok(escaped)
    }

    fn parse_string(&mut self) -> Result<String, Error> {
        self.pos += 1;
        let mut text = Vec::new();
        loop {
            let run_start = self.pos;
            while self.peek().is_some_and(|b| b != b'"' && b != b'\\' && b >= 0x20) {
                self.pos += 1;
            }
            text.extend_from_slice(&self.bytes[run_start..self.pos]);

            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(String::from_utf8(text).unwrap_or_else(|err| {
                        String::from_utf8_lossy(err.as_bytes()).into_owned()
                    }));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = self.parse_escape()?;
                    let mut encoded = [0u8; 4];
                    text.extend_from_slice(escaped.encode_utf8(&mut encoded).as_bytes());
                }
                Some(_) => {
                    return Err(self.error("control character in string (expected an escape)"))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::test_support::Rng;

    fn ok(text: &str) -> Value {
        match parse(text.as_bytes()) {
            Ok(value) => value,
            Err(err) => panic!("parse({text:?}) failed: {err}"),
        }
    }

    fn err(bytes: &[u8]) -> Error {
        match parse(bytes) {
            Ok(value) => panic!("parse({:?}) succeeded: {value:?}", String::from_utf8_lossy(bytes)),
            Err(err) => err,
        }
    }

    fn string(text: &str) -> String {
        match ok(text) {
            Value::String(value) => value,
            other => panic!("parse({text:?}) is not a string: {other:?}"),
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(ok("null"), Value::Null);
        assert_eq!(ok(" true "), Value::Bool(true));
        assert_eq!(ok("\n\tfalse\r"), Value::Bool(false));
        assert_eq!(ok("-0"), Value::Number("-0".into()));
        assert_eq!(ok("12.5e-3"), Value::Number("12.5e-3".into()));
        assert_eq!(ok("\"hi\""), Value::String("hi".into()));
    }

    #[test]
    fn numbers_as_integers() {
        assert_eq!(ok("1234").as_i64(), Some(1234));
        assert_eq!(ok("-7").as_i64(), Some(-7));
        assert_eq!(ok("1.0").as_i64(), None);
        assert_eq!(ok("1e3").as_i64(), None);
        assert_eq!(ok("9223372036854775807").as_i64(), Some(i64::MAX));
        assert_eq!(ok("9223372036854775808").as_i64(), None);
        let huge = "9".repeat(5000);
        assert_eq!(ok(&huge).as_i64(), None);
        assert_eq!(ok(&format!("1e{huge}")).as_i64(), None);
    }

    #[test]
    fn numbers_invalid() {
        for text in
            ["-", "01", "1.", ".5", "1e", "1e+", "+1", "0x10", "--1", "1.e3", "Infinity", "NaN"]
        {
            err(text.as_bytes());
        }
    }

    #[test]
    fn string_escapes() {
        assert_eq!(string(r#""a\"b\\c\/d\b\f\n\r\t""#), "a\"b\\c/d\u{8}\u{c}\n\r\t");
        assert_eq!(string(r#""\u00e9\u20AC""#), "é€");
        assert_eq!(string(r#""\ud83d\ude00""#), "😀");
        assert_eq!(string("\"é raw\""), "é raw");
    }

    #[test]
    fn lone_surrogates_replaced() {
        assert_eq!(string(r#""\ud83d""#), "\u{fffd}");
        assert_eq!(string(r#""\ud83dx""#), "\u{fffd}x");
        assert_eq!(string(r#""\ude00""#), "\u{fffd}");
        assert_eq!(string(r#""\ud83d\u0041""#), "\u{fffd}A");
        assert_eq!(string(r#""\ud83d\ud83d\ude00""#), "\u{fffd}😀");
    }

    #[test]
    fn invalid_utf8_replaced() {
        assert_eq!(parse(b"\"a\xffb\"").unwrap(), Value::String("a\u{fffd}b".into()));
    }

    #[test]
    fn string_errors() {
        for bytes in [
            &b"\"abc"[..],
            b"\"\\",
            b"\"\\x\"",
            b"\"\\u12\"",
            b"\"\\u12G4\"",
            b"\"\\ud83d\\u12\"",
            b"\"tab\there\"",
            b"\"line\nbreak\"",
            b"'single'",
        ] {
            err(bytes);
        }
    }

    #[test]
    fn structure_errors() {
        for text in [
            "",
            "   ",
            "{",
            "[",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "[1 2]",
            "{} {}",
            "nul",
            "truex",
            "[\"a\"}",
        ] {
            err(text.as_bytes());
        }
    }

    #[test]
    fn nesting_limit() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(nested(MAX_DEPTH).as_bytes()).is_ok());
        assert_eq!(err(nested(MAX_DEPTH + 1).as_bytes()).offset, MAX_DEPTH);
        let objects = format!("{}1{}", "{\"a\":".repeat(MAX_DEPTH + 1), "}".repeat(MAX_DEPTH + 1));
        err(objects.as_bytes());
        // An unclosed deep document must fail on depth or truncation, not on the stack.
        err("[".repeat(1_000_000).as_bytes());
    }

    #[test]
    fn lookup_follows_the_path_only() {
        let document = ok(r#"{
            "Pid": 1,
            "Config": {"Labels": {"Pid": "2", "State.Pid": "3"}},
            "Other": {"State": {"Pid": 4}},
            "State": {"Status": "running", "Running": true, "Pid": 5678}
        }"#);
        assert_eq!(document.lookup(&["State", "Pid"]).and_then(Value::as_i64), Some(5678));
        assert_eq!(document.lookup(&["State", "Running"]).and_then(Value::as_bool), Some(true));
        assert_eq!(document.lookup(&["State", "Missing"]), None);
        assert_eq!(document.lookup(&["Pid", "x"]), None);
        assert_eq!(document.lookup(&[]), Some(&document));
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let document = ok(r#"{"a": 1, "a": 2}"#);
        assert_eq!(document.get("a").and_then(Value::as_i64), Some(2));
    }

    const SAMPLES: &[&str] = &[
        r#"{"Id":"4f3c","State":{"Status":"running","Running":true,"Pid":4242,"ExitCode":0},"Config":{"Labels":{"Pid":"1"}}}"#,
        r#"{"name":"k8s_pod","pid":1234,"image":"busybox","ip_addresses":["10.0.0.2","fd00::2"],"labels":{}}"#,
        r#"[1, -2.5e+3, true, false, null, "\u00e9\ud83d\ude00\n", {"a": [[]]}]"#,
        r#"{"message":"No such container: web"}"#,
    ];

    /// Feeds random and mutated documents to the parser; a panic fails the test.
    #[test]
    fn parse_never_panics() {
        let mut rng = Rng::new(0x6b6f_6b6f_6a73_6f6e);
        let alphabet: &[u8] = b"{}[]:,\"\\/ubfnrtuDdEe0123456789+-. \ntruefalsenull\xff\xc3\xa9";
        for round in 0..60_000 {
            let input = if round % 4 == 0 {
                let len = rng.below(100);
                (0..len).map(|_| rng.byte_from(alphabet)).collect()
            } else {
                let sample = SAMPLES[rng.below(SAMPLES.len())];
                rng.mutate(sample.as_bytes(), alphabet)
            };
            let _ = parse(&input);
        }
    }
}
