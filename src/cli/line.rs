//! Splitting one line of a bulk file (`koko -f FILE`) into arguments.

use super::Error;

/// Splits one line of a bulk file into the arguments of one koko command line.
///
/// Words are separated by whitespace. `#` at the start of a word begins a comment that
/// runs to the end of the line. Single quotes keep everything up to the next single
/// quote. Double quotes do the same, except that `\"` and `\\` inside them stand for
/// `"` and `\`. Quoted and unquoted pieces next to each other form one word, and `''`
/// is an empty word. Backslashes outside double quotes are ordinary characters.
///
/// Returns `Ok(None)` for a blank or comment-only line and an error for an unterminated
/// quote.
pub fn split_line(line: &str) -> Result<Option<Vec<String>>, Error> {
    let mut words = Vec::new();
    let mut word = String::new();
    // A word can be empty yet present (`''`), so track presence apart from the text.
    let mut in_word = false;
    let mut chars = line.chars();

    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(unterminated('\'', line)),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(unterminated('"', line)),
                        },
                        Some(c) => word.push(c),
                        None => return Err(unterminated('"', line)),
                    }
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }

    if words.is_empty() {
        Ok(None)
    } else {
        Ok(Some(words))
    }
}

fn unterminated(quote: char, line: &str) -> Error {
    Error::new(format!("unterminated {quote} quote in line {line:?} (expected a closing {quote})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split_line(line).unwrap().unwrap()
    }

    #[test]
    fn whitespace_splits() {
        assert_eq!(words("-n ns1,eth1   -n\tns2,eth2 "), ["-n", "ns1,eth1", "-n", "ns2,eth2"]);
    }

    #[test]
    fn blank_and_comment_lines() {
        for line in ["", "   ", "\t", "# comment", "   # indented comment", "#", "\r"] {
            assert_eq!(split_line(line).unwrap(), None, "{line:?}");
        }
    }

    #[test]
    fn comment_after_words() {
        assert_eq!(
            words("-c eth0 -x eth1,10.0.0.2,7 # lab link"),
            ["-c", "eth0", "-x", "eth1,10.0.0.2,7"]
        );
    }

    #[test]
    fn hash_inside_word_kept() {
        assert_eq!(words("-a /tmp/a#b,eth0"), ["-a", "/tmp/a#b,eth0"]);
        assert_eq!(words("'#not-comment'"), ["#not-comment"]);
        assert_eq!(words("\"#x\"y"), ["#xy"]);
    }

    #[test]
    fn single_quotes() {
        assert_eq!(words("-a '/run/my netns,eth0'"), ["-a", "/run/my netns,eth0"]);
        assert_eq!(words("'a\\b'"), ["a\\b"]);
        assert_eq!(words("'say \"hi\"'"), ["say \"hi\""]);
    }

    #[test]
    fn double_quotes() {
        assert_eq!(words("\"a b\" c"), ["a b", "c"]);
        assert_eq!(words("\"a \\\"q\\\" \\\\ \\n\""), ["a \"q\" \\ \\n"]);
        assert_eq!(words("\"it's\""), ["it's"]);
    }

    #[test]
    fn adjacent_pieces_join() {
        assert_eq!(words("a'b c'd\"e f\"g"), ["ab cde fg"]);
    }

    #[test]
    fn empty_quotes_are_words() {
        assert_eq!(words("'' \"\""), ["", ""]);
        assert_eq!(words("-c ''"), ["-c", ""]);
    }

    #[test]
    fn backslash_outside_quotes_literal() {
        assert_eq!(words("a\\ b"), ["a\\", "b"]);
    }

    #[test]
    fn unterminated_quotes() {
        for line in ["'abc", "a \"b", "\"a\\\"", "\"a\\", "'"] {
            let message = split_line(line).unwrap_err().to_string();
            assert!(message.starts_with("unterminated"), "{line:?}: {message}");
        }
        let message = split_line("-a 'x").unwrap_err().to_string();
        assert_eq!(message, "unterminated ' quote in line \"-a 'x\" (expected a closing ')");
    }

    #[test]
    fn non_ascii_and_crlf() {
        assert_eq!(words("-n ns\u{e9},eth1\r"), ["-n", "ns\u{e9},eth1"]);
    }
}
