//! A small RFC 4180 CSV reader, shared by the native trainer and the browser (a library file a
//! user picks is parsed in WASM, where pulling in the `csv` crate would cost app size for one
//! loop). Quoted fields may hold commas, doubled quotes and line breaks; cells are trimmed.

use crate::error::{Error, Result};

/// Records of `text`, header first. Blank lines are skipped. An unterminated quote is an
/// error naming the line where the field began.
pub fn records(text: &str) -> Result<Vec<Vec<String>>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut line = 1usize;
    let mut quoted = false;
    let mut quote_line = 0usize;
    let mut touched = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
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
                quote_line = line;
                touched = true;
            }
            ',' => {
                row.push(cell.trim().to_string());
                cell.clear();
                touched = true;
            }
            '\r' => {}
            '\n' => {
                line += 1;
                if touched || !cell.trim().is_empty() {
                    row.push(cell.trim().to_string());
                    out.push(std::mem::take(&mut row));
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
    if quoted {
        return Err(Error::Data(format!(
            "line {quote_line}: a quoted field is never closed"
        )));
    }
    if touched || !cell.trim().is_empty() {
        row.push(cell.trim().to_string());
        out.push(row);
    }
    Ok(out)
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
