//! Maps a JSON pointer to the line of the definition file it points into, so every diagnostic
//! can name `file:line` as well as the pointer.

/// The 1-based line where the value at `pointer` starts in `text` (JSON or YAML), if found.
pub fn line_of(text: &str, pointer: &str) -> Option<usize> {
    let segments: Vec<String> = if pointer.is_empty() {
        Vec::new()
    } else {
        pointer
            .strip_prefix('/')?
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect()
    };
    let trimmed = text.trim_start();
    let offset = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let mut scanner = Json {
            bytes: text.as_bytes(),
            pos: 0,
        };
        scanner.find(&segments)?
    } else {
        yaml_offset(text, &segments)?
    };
    Some(text[..offset.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1)
}

struct Json<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Json<'_> {
    fn ws(&mut self) {
        while self.pos < self.bytes.len() && self.bytes[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn find(&mut self, segments: &[String]) -> Option<usize> {
        self.ws();
        let Some((first, rest)) = segments.split_first() else {
            return Some(self.pos);
        };
        match self.peek()? {
            b'{' => {
                self.pos += 1;
                loop {
                    self.ws();
                    match self.peek()? {
                        b'}' => return None,
                        b',' => {
                            self.pos += 1;
                            continue;
                        }
                        b'"' => {}
                        _ => return None,
                    }
                    let key = self.string()?;
                    self.ws();
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.pos += 1;
                    if key == *first {
                        return self.find(rest);
                    }
                    self.skip_value()?;
                }
            }
            b'[' => {
                let wanted: usize = first.parse().ok()?;
                self.pos += 1;
                let mut index = 0;
                loop {
                    self.ws();
                    match self.peek()? {
                        b']' => return None,
                        b',' => {
                            self.pos += 1;
                            continue;
                        }
                        _ => {}
                    }
                    if index == wanted {
                        return self.find(rest);
                    }
                    self.skip_value()?;
                    index += 1;
                }
            }
            _ => None,
        }
    }

    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        self.pos += 1;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'\\' => self.pos += 1,
                b'"' => {
                    let raw = std::str::from_utf8(self.bytes.get(start..self.pos)?).ok()?;
                    return serde_json::from_str(raw).ok();
                }
                _ => {}
            }
        }
        None
    }

    fn skip_value(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                let mut depth = 0usize;
                while let Some(b) = self.peek() {
                    match b {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.pos += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.pos += 1;
                }
                None
            }
            _ => {
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace() {
                        break;
                    }
                    self.pos += 1;
                }
                Some(())
            }
        }
    }
}

/// Best effort for YAML: follow each key at a deeper indentation than its parent.
fn yaml_offset(text: &str, segments: &[String]) -> Option<usize> {
    let mut offset = 0usize;
    let mut parent_indent: Option<usize> = None;
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .scan(0usize, |acc, line| {
            let start = *acc;
            *acc += line.len();
            Some((start, line))
        })
        .collect();
    let mut line_index = 0usize;
    for segment in segments {
        let mut found = false;
        let mut item = 0usize;
        let index: Option<usize> = segment.parse().ok();
        while line_index < lines.len() {
            let (start, line) = lines[line_index];
            line_index += 1;
            let content = line.trim_start();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let indent = line.len() - content.len();
            if parent_indent.is_some_and(|p| indent <= p) && !content.starts_with("- ") {
                return None;
            }
            let key_part = content.strip_prefix("- ").unwrap_or(content);
            if let Some(wanted) = index {
                if content.starts_with("- ") {
                    if item == wanted {
                        offset = start;
                        parent_indent = Some(indent);
                        found = true;
                        line_index -= 1;
                        break;
                    }
                    item += 1;
                }
                continue;
            }
            let key = key_part
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches(['"', '\'']);
            if key == segment && key_part.contains(':') {
                offset = start;
                parent_indent = Some(indent);
                found = true;
                break;
            }
        }
        if !found {
            return None;
        }
    }
    Some(offset)
}

#[cfg(test)]
mod tests {
    use super::line_of;

    #[test]
    fn finds_json_pointers() {
        let text = "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\n      \"Type\": \"Pass\",\n      \"Next\": \"B\"\n    }\n  }\n}\n";
        assert_eq!(line_of(text, "/States/A/Next"), Some(6));
        assert_eq!(line_of(text, "/States/A"), Some(4));
        assert_eq!(line_of(text, "/StartAt"), Some(2));
        assert_eq!(line_of(text, "/States/Missing"), None);
    }

    #[test]
    fn finds_yaml_keys() {
        let text = "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Next: B\n  B:\n    Type: Succeed\n";
        assert_eq!(line_of(text, "/States/A/Next"), Some(5));
        assert_eq!(line_of(text, "/States/B"), Some(6));
    }
}
