//! Wildcard patterns: `*` for any run of characters and, in IAM policies, `?` for one, as IAM
//! policies, EventBridge `wildcard` filters and Choice rules' `StringMatches` write them.

/// How a pattern reads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Glob {
    /// `?` matches one character (IAM); otherwise it is literal (EventBridge).
    pub(crate) any_one: bool,
    /// Letters compare case-insensitively.
    pub(crate) ignore_case: bool,
}

/// Whether `text` matches `pattern` as a whole.
pub(crate) fn glob(pattern: &str, text: &str, how: Glob) -> bool {
    let fold = |s: &str| -> Vec<char> {
        if how.ignore_case {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let tokens: Vec<Token> = fold(pattern)
        .into_iter()
        .map(|c| match c {
            '*' => Token::Star,
            '?' if how.any_one => Token::AnyOne,
            c => Token::Char(c),
        })
        .collect();
    matches(&tokens, &fold(text))
}

/// One element of a compiled pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Token {
    /// Any run of characters, none included.
    Star,
    /// Any one character.
    AnyOne,
    /// This character.
    Char(char),
}

/// Whether `text` matches the pattern as a whole.
pub(crate) fn matches(pattern: &[Token], text: &[char]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    // The last `*` seen and the text position it was tried at: backtrack there on a mismatch.
    let mut star: Option<(usize, usize)> = None;
    while ti < text.len() {
        match pattern.get(pi) {
            Some(Token::Star) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(Token::AnyOne) => {
                pi += 1;
                ti += 1;
            }
            Some(Token::Char(c)) if *c == text[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[pi..].iter().all(|t| *t == Token::Star)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IAM: Glob = Glob {
        any_one: true,
        ignore_case: true,
    };
    const EXACT: Glob = Glob {
        any_one: false,
        ignore_case: false,
    };

    #[test]
    fn stars_questions_and_case() {
        assert!(glob("lambda:Invoke*", "lambda:InvokeFunction", IAM));
        assert!(glob("LAMBDA:invokefunction", "lambda:InvokeFunction", IAM));
        assert!(glob("a?c*", "abcdef", IAM));
        assert!(!glob("a?c*", "abcdef", EXACT));
        assert!(glob("arn:aws:s3:::b/*", "arn:aws:s3:::b/k/x", EXACT));
        assert!(glob("Ord*-1*", "Order-17", EXACT));
        assert!(!glob("arn:aws:s3:::b/*", "arn:aws:s3:::c/k", EXACT));
        assert!(!glob("abc", "abcd", EXACT));
        assert!(!glob("abc", "ABC", EXACT));
        assert!(glob("*", "", EXACT));
    }
}
