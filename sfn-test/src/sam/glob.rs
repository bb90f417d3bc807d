//! Wildcard patterns (`*` for any run of characters, optionally `?` for one), as IAM policies
//! and EventBridge `wildcard` filters write them.

/// How a pattern reads.
#[derive(Clone, Copy, Debug)]
pub(super) struct Glob {
    /// `?` matches one character (IAM); otherwise it is literal (EventBridge).
    pub(super) any_one: bool,
    /// Letters compare case-insensitively.
    pub(super) ignore_case: bool,
}

/// Whether `text` matches `pattern` as a whole.
pub(super) fn glob(pattern: &str, text: &str, how: Glob) -> bool {
    let fold = |s: &str| -> Vec<char> {
        if how.ignore_case {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let (p, t) = (fold(pattern), fold(text));
    let (mut pi, mut ti) = (0, 0);
    // The last `*` seen and the text position it was tried at: backtrack there on a mismatch.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if (*c == '?' && how.any_one) || *c == t[ti] => {
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
    p[pi..].iter().all(|c| *c == '*')
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
