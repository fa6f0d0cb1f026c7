//! The README's walkthrough as data: the fenced blocks whose info string is `sh walkthrough`,
//! read with just enough of the shell's grammar for what a walkthrough needs (quotes, `$VAR`,
//! `$(...)`, pipes, `;`, line continuations, comments). A comment line starting with `→`
//! under a command states what its answer contains.

/// A piece of a word.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Text as written (quotes removed).
    Lit(String),
    /// `$NAME` or `${NAME}`.
    Var(String),
    /// `$(...)`: the output of a pipeline.
    Subst(Vec<Vec<Word>>),
}

/// One shell word.
pub type Word = Vec<Part>;

/// One line of the walkthrough (after joining continuations): assignments, then a pipeline.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Step {
    /// Line in README.md where the step starts (1-based).
    pub line: usize,
    /// `NAME=value` before the command.
    pub assignments: Vec<(String, Word)>,
    /// Commands joined by `|`; empty for a pure assignment.
    pub pipeline: Vec<Vec<Word>>,
    /// What the answer contains, from `# → ...` lines under the command.
    pub expect: Vec<String>,
}

/// The steps of every walkthrough block of `readme`, in order.
pub fn walkthrough(readme: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for (first_line, text) in blocks(readme, &["sh", "walkthrough"])? {
        steps.extend(parse(&text, first_line)?);
    }
    Ok(steps)
}

/// The fenced blocks whose info string is exactly `info` (words), with the README line of
/// each block's first line.
pub fn blocks(readme: &str, info: &[&str]) -> Result<Vec<(usize, String)>, String> {
    let mut found = Vec::new();
    let mut block: Option<(usize, String)> = None;
    let mut in_other = false;
    for (n, line) in readme.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut block, fence) {
            // Inside another block only a bare fence closes it.
            (None, Some(words)) if in_other => in_other = !words.trim().is_empty(),
            (None, Some(words)) if words.split_whitespace().eq(info.iter().copied()) => {
                block = Some((n + 2, String::new()));
            }
            (None, Some(_)) => in_other = true,
            (Some(_), Some("")) => found.extend(block.take()),
            (Some((_, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {}
        }
    }
    if block.is_some() {
        return Err(format!("a block marked `{}` is not closed", info.join(" ")));
    }
    Ok(found)
}

/// Parses a block whose first line is README line `first_line`.
pub fn parse(text: &str, first_line: usize) -> Result<Vec<Step>, String> {
    let mut parser = Parser { chars: text.chars().collect(), pos: 0, line: first_line };
    parser.steps()
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    line: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek2(&self) -> Option<char> {
        self.chars.get(self.pos + 1).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn error(&self, what: &str) -> String {
        format!("README.md line {}: {what}", self.line)
    }

    fn steps(&mut self) -> Result<Vec<Step>, String> {
        let mut steps: Vec<Step> = Vec::new();
        let mut current = Step { line: self.line, ..Step::default() };
        let mut command: Vec<Word> = Vec::new();
        loop {
            self.skip_blanks();
            match self.peek() {
                None | Some('\n' | ';') => {
                    let end = self.bump().is_none();
                    finish(&mut steps, &mut current, &mut command);
                    current.line = self.line;
                    if end {
                        return Ok(steps);
                    }
                }
                Some('|') => {
                    self.bump();
                    if command.is_empty() {
                        return Err(self.error("`|` without a command before it"));
                    }
                    current.pipeline.push(std::mem::take(&mut command));
                }
                Some('#') => {
                    let comment = self.rest_of_line();
                    if let Some(expect) = comment.trim_start_matches('#').trim().strip_prefix('→') {
                        let target = if current.pipeline.is_empty() && command.is_empty() {
                            steps.last_mut()
                        } else {
                            Some(&mut current)
                        };
                        let target = target.ok_or_else(|| self.error("`# →` without a command above it"))?;
                        target.expect.push(expect.trim().to_owned());
                    }
                }
                Some(_) => {
                    if command.is_empty()
                        && current.pipeline.is_empty()
                        && let Some(name) = self.assignment_name()
                    {
                        let value = self.word(false)?;
                        current.assignments.push((name, value));
                        continue;
                    }
                    command.push(self.word(false)?);
                }
            }
        }
    }

    /// Blanks and line continuations.
    fn skip_blanks(&mut self) {
        loop {
            match (self.peek(), self.peek2()) {
                (Some(' ' | '\t'), _) => {
                    self.bump();
                }
                (Some('\\'), Some('\n')) => {
                    self.bump();
                    self.bump();
                }
                _ => return,
            }
        }
    }

    fn rest_of_line(&mut self) -> String {
        let mut text = String::new();
        while let Some(c) = self.peek().filter(|c| *c != '\n') {
            text.push(c);
            self.bump();
        }
        text
    }

    /// `NAME=` at the cursor: consumes it and returns the name.
    fn assignment_name(&mut self) -> Option<String> {
        let mut end = self.pos;
        while self.chars.get(end).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_') {
            end += 1;
        }
        let first = self.chars.get(self.pos)?;
        if end == self.pos || first.is_ascii_digit() || self.chars.get(end) != Some(&'=') {
            return None;
        }
        let name: String = self.chars[self.pos..end].iter().collect();
        self.pos = end + 1;
        Some(name)
    }

    /// One word; inside `$(...)` (`nested`) a `)` ends it.
    fn word(&mut self, nested: bool) -> Result<Word, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\n' | ';' | '|' => break,
                ')' if nested => break,
                '\\' if self.peek2() == Some('\n') => break,
                '\\' => {
                    self.bump();
                    lit.extend(self.bump());
                }
                '\'' => {
                    self.bump();
                    loop {
                        match self.bump() {
                            Some('\'') => break,
                            Some(c) => lit.push(c),
                            None => return Err(self.error("unclosed '")),
                        }
                    }
                }
                '"' => {
                    self.bump();
                    loop {
                        match self.peek() {
                            Some('"') => {
                                self.bump();
                                break;
                            }
                            Some('\\') if matches!(self.peek2(), Some('"' | '\\' | '$' | '`')) => {
                                self.bump();
                                lit.extend(self.bump());
                            }
                            Some('$') => self.dollar(&mut parts, &mut lit)?,
                            Some(c) => {
                                self.bump();
                                lit.push(c);
                            }
                            None => return Err(self.error("unclosed \"")),
                        }
                    }
                }
                '$' => self.dollar(&mut parts, &mut lit)?,
                c => {
                    self.bump();
                    lit.push(c);
                }
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(parts)
    }

    /// `$NAME`, `${NAME}` or `$(...)` at the cursor.
    fn dollar(&mut self, parts: &mut Vec<Part>, lit: &mut String) -> Result<(), String> {
        self.bump();
        let part = match self.peek() {
            Some('(') => {
                self.bump();
                Part::Subst(self.substitution()?)
            }
            Some('{') => {
                self.bump();
                let mut name = String::new();
                loop {
                    match self.bump() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => return Err(self.error("unclosed ${")),
                    }
                }
                Part::Var(name)
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let mut name = String::new();
                while let Some(c) = self.peek().filter(|c| c.is_ascii_alphanumeric() || *c == '_') {
                    name.push(c);
                    self.bump();
                }
                Part::Var(name)
            }
            _ => {
                lit.push('$');
                return Ok(());
            }
        };
        if !lit.is_empty() {
            parts.push(Part::Lit(std::mem::take(lit)));
        }
        parts.push(part);
        Ok(())
    }

    /// The pipeline of `$(...)`, up to and including its `)`.
    fn substitution(&mut self) -> Result<Vec<Vec<Word>>, String> {
        let mut pipeline = Vec::new();
        let mut command = Vec::new();
        loop {
            self.skip_blanks();
            match self.peek() {
                Some(')') => {
                    self.bump();
                    if !command.is_empty() {
                        pipeline.push(command);
                    }
                    return Ok(pipeline);
                }
                Some('|') => {
                    self.bump();
                    pipeline.push(std::mem::take(&mut command));
                }
                None | Some('\n' | ';' | '#') => return Err(self.error("`$(` must close on its line")),
                Some(_) => command.push(self.word(true)?),
            }
        }
    }
}

fn finish(steps: &mut Vec<Step>, current: &mut Step, command: &mut Vec<Word>) {
    if !command.is_empty() {
        current.pipeline.push(std::mem::take(command));
    }
    if !current.pipeline.is_empty() || !current.assignments.is_empty() {
        steps.push(std::mem::take(current));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Word {
        vec![Part::Lit(s.to_owned())]
    }

    #[test]
    fn reads_quotes_variables_substitutions_and_answers() {
        let text = "TOKEN=$(cargo run -q -- token --role ADMIN)\nA=\"authorization: Bearer $TOKEN\"; G=http://h\n\
                    curl -s -H \"$A\" -d '{\"a\":\n 1}' \\\n  \"$G/v1/x\"   # a comment\n# → \"a\": 1\n";
        let steps = parse(text, 10).expect("parses");
        assert_eq!(steps.len(), 4, "{steps:#?}");
        let Part::Subst(pipeline) = &steps[0].assignments[0].1[0] else { panic!("{steps:#?}") };
        assert_eq!(pipeline[0][5], lit("--role"));
        assert_eq!(
            steps[1].assignments[0].1,
            vec![Part::Lit("authorization: Bearer ".into()), Part::Var("TOKEN".into())]
        );
        assert_eq!(steps[2].assignments[0], ("G".to_owned(), lit("http://h")));
        let curl = &steps[3];
        assert_eq!(curl.line, 12);
        assert_eq!(curl.pipeline[0][5], lit("{\"a\":\n 1}"));
        assert_eq!(curl.pipeline[0][6], vec![Part::Var("G".into()), Part::Lit("/v1/x".into())]);
        assert_eq!(curl.expect, vec!["\"a\": 1".to_owned()]);
    }

    #[test]
    fn finds_only_walkthrough_blocks() {
        let readme = "```sh\nnot me\n```\n\n```sh walkthrough\nX=1\n```\n```rust\n```sh walkthrough\n```\n";
        let steps = walkthrough(readme).expect("parses");
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].line, 6);
        assert_eq!(blocks(readme, &["sh"]).expect("blocks"), [(2, "not me\n".to_owned())]);
    }
}
