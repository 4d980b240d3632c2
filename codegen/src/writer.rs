//! A tiny C/C++/Rust source writer: lines, blank lines and indented blocks.

/// Accumulates source text with a current indentation level (four spaces per level).
#[derive(Debug, Default, Clone)]
pub struct SourceWriter {
    out: String,
    depth: usize,
}

impl SourceWriter {
    /// An empty writer at indentation level 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes one line at the current indentation (an empty `text` writes an empty line;
    /// preprocessor lines, starting with `#`, always start in column 0).
    pub fn line(&mut self, text: impl AsRef<str>) -> &mut Self {
        let text = text.as_ref();
        if !text.is_empty() && !text.starts_with('#') {
            for _ in 0..self.depth {
                self.out.push_str("    ");
            }
        }
        self.out.push_str(text);
        self.out.push('\n');
        self
    }

    /// Writes an empty line.
    pub fn blank(&mut self) -> &mut Self {
        self.out.push('\n');
        self
    }

    /// Writes every line of `text` (a multi-line snippet) at the current indentation, keeping the
    /// snippet's own relative indentation. A leading newline and trailing whitespace are dropped.
    pub fn lines(&mut self, text: &str) -> &mut Self {
        let text = text.strip_prefix('\n').unwrap_or(text).trim_end();
        let common = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start().len())
            .min()
            .unwrap_or(0);
        for l in text.lines() {
            if l.trim().is_empty() {
                self.blank();
            } else {
                let l = &l[common..];
                if l.trim_start().starts_with('#') {
                    self.line(l.trim_start());
                } else {
                    self.line(l);
                }
            }
        }
        self
    }

    /// Writes `head {`, runs `body` one level deeper, then writes `}` followed by `tail`.
    pub fn block(
        &mut self,
        head: impl AsRef<str>,
        tail: &str,
        body: impl FnOnce(&mut Self),
    ) -> &mut Self {
        let head = head.as_ref();
        if head.is_empty() {
            self.line("{");
        } else {
            self.line(format!("{head} {{"));
        }
        self.depth += 1;
        body(self);
        self.depth -= 1;
        self.line(format!("}}{tail}"))
    }

    /// Runs `body` one indentation level deeper without writing braces.
    pub fn indented(&mut self, body: impl FnOnce(&mut Self)) -> &mut Self {
        self.depth += 1;
        body(self);
        self.depth -= 1;
        self
    }

    /// The text written so far.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_indent_and_lines_dedent() {
        let mut w = SourceWriter::new();
        w.block("if (a)", "", |w| {
            w.lines(
                "
                x = 1;
                    y = 2;
                ",
            );
        });
        assert_eq!(w.finish(), "if (a) {\n    x = 1;\n        y = 2;\n}\n");
    }
}
