//! A small RFC 4180 CSV reader, shared by the native trainer and the browser (a library file a
//! user picks is parsed in WASM, where pulling in the `csv` crate would cost app size for one
//! loop). Quoted fields may hold commas, doubled quotes and line breaks; cells are trimmed.

use crate::error::{Error, Result};

/// Records of `text`, header first. Blank lines are skipped. An unterminated quote is an
/// error naming the line where the field began.
pub fn records(text: &str) -> Result<Vec<Vec<String>>> {
    rows(text).collect()
}

/// The records of `text` one at a time, header first: a reader that turns each row into
/// values as it goes holds one row of strings at a time, not the whole table (the trainer
/// reads 50,000-row files this way).
pub fn rows(text: &str) -> Rows<'_> {
    Rows {
        chars: text
            .strip_prefix('\u{feff}')
            .unwrap_or(text)
            .chars()
            .peekable(),
        line: 1,
        done: false,
    }
}

/// The iterator of [`rows`]: `Ok` per record, then at most one `Err` (an unterminated quote)
/// after which it ends.
pub struct Rows<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    done: bool,
}

impl Iterator for Rows<'_> {
    type Item = Result<Vec<String>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut row: Vec<String> = Vec::new();
        let mut cell = String::new();
        let mut quoted = false;
        let mut quote_line = 0usize;
        let mut touched = false;
        while let Some(c) = self.chars.next() {
            if quoted {
                match c {
                    '"' if self.chars.peek() == Some(&'"') => {
                        self.chars.next();
                        cell.push('"');
                    }
                    '"' => quoted = false,
                    '\n' => {
                        self.line += 1;
                        cell.push(c);
                    }
                    _ => cell.push(c),
                }
                continue;
            }
            match c {
                '"' if cell.trim().is_empty() => {
                    cell.clear();
                    quoted = true;
                    quote_line = self.line;
                    touched = true;
                }
                ',' => {
                    row.push(cell.trim().to_string());
                    cell.clear();
                    touched = true;
                }
                '\r' => {}
                '\n' => {
                    self.line += 1;
                    if touched || !cell.trim().is_empty() {
                        row.push(cell.trim().to_string());
                        return Some(Ok(row));
                    }
                    cell.clear();
                    touched = false;
                }
                _ => {
                    cell.push(c);
                    touched = true;
                }
            }
        }
        self.done = true;
        if quoted {
            return Some(Err(Error::Data(format!(
                "line {quote_line}: a quoted field is never closed"
            ))));
        }
        if touched || !cell.trim().is_empty() {
            row.push(cell.trim().to_string());
            return Some(Ok(row));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_quoted_and_blank_lines() {
        let r = records("a,b,c\r\n1, 2 ,\"x, \"\"y\"\"\"\n\n4,\"line\nbreak\",6").unwrap();
        assert_eq!(
            r,
            vec![
                vec!["a", "b", "c"],
                vec!["1", "2", "x, \"y\""],
                vec!["4", "line\nbreak", "6"]
            ]
        );
    }

    #[test]
    fn empty_cells_and_bom() {
        let r = records("\u{feff}a,b\n,\n").unwrap();
        assert_eq!(r, vec![vec!["a", "b"], vec!["", ""]]);
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        let e = records("a,b\n1,\"oops\n2,3\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }
}
