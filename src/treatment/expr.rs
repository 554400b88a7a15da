//! Arithmetic for derived values (BMI from weight and height, say): a formula over feature
//! names, parsed once when the bundle is built and evaluated in the browser.
//!
//! The grammar is deliberately tiny: numbers, names, `+ - * / ^`, unary minus and parentheses,
//! with the usual precedence (`^` binds tightest and is right-associative; exponents are whole
//! numbers). Anything richer
//! belongs in the trainer, not in a rule file a clinician reviews.

use serde::{Deserialize, Serialize};

/// A parsed formula. Names are resolved to operand slots by the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Expr {
    /// A constant.
    Num(f64),
    /// Operand slot `i` (the i-th distinct name, in order of first appearance).
    Var(u16),
    /// `-e`.
    Neg(Box<Expr>),
    /// `a op b`.
    Bin(Op, Box<Expr>, Box<Expr>),
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^`
    Pow,
}

impl Expr {
    /// Parse `text`; returns the tree and the distinct names in slot order.
    pub fn parse(text: &str) -> Result<(Expr, Vec<String>), String> {
        let tokens = tokenize(text)?;
        let mut p = Parser {
            tokens,
            pos: 0,
            names: Vec::new(),
        };
        let e = p.sum()?;
        if let Some(t) = p.tokens.get(p.pos) {
            return Err(format!("unexpected `{}` in `{text}`", t.show()));
        }
        Ok((e, p.names))
    }

    /// The value with operand slots filled from `vars`; `None` when a slot is missing or the
    /// result is not a finite number (division by zero, say).
    pub fn eval(&self, vars: &[f64]) -> Option<f64> {
        let v = match self {
            Expr::Num(x) => *x,
            Expr::Var(i) => *vars.get(usize::from(*i))?,
            Expr::Neg(e) => -e.eval(vars)?,
            Expr::Bin(op, a, b) => {
                let (a, b) = (a.eval(vars)?, b.eval(vars)?);
                match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
                    // Whole exponents only (squares, cubes): `powi` is exact enough and keeps
                    // libm's general `pow` out of the browser build.
                    Op::Pow => {
                        if b.fract() != 0.0 || b.abs() > 64.0 {
                            return None;
                        }
                        a.powi(b as i32)
                    }
                }
            }
        };
        v.is_finite().then_some(v)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Num(f64),
    Name(String),
    Sym(char),
}

impl Token {
    fn show(&self) -> String {
        match self {
            Token::Num(x) => x.to_string(),
            Token::Name(n) => n.clone(),
            Token::Sym(c) => c.to_string(),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_digit() || c == '.' {
            let mut end = start;
            while let Some(&(i, d)) = chars.peek() {
                if d.is_ascii_digit() || d == '.' {
                    end = i + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let s = text.get(start..end).unwrap_or_default();
            let x = s
                .parse::<f64>()
                .map_err(|_| format!("`{s}` is not a number"))?;
            out.push(Token::Num(x));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut end = start;
            while let Some(&(i, d)) = chars.peek() {
                if d.is_ascii_alphanumeric() || d == '_' {
                    end = i + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Token::Name(text.get(start..end).unwrap_or_default().into()));
        } else if "+-*/^()".contains(c) {
            out.push(Token::Sym(c));
            chars.next();
        } else {
            return Err(format!("unexpected character `{c}` in `{text}`"));
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    names: Vec<String>,
}

impl Parser {
    fn peek_sym(&self) -> Option<char> {
        match self.tokens.get(self.pos) {
            Some(Token::Sym(c)) => Some(*c),
            _ => None,
        }
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut e = self.product()?;
        while let Some(c @ ('+' | '-')) = self.peek_sym() {
            self.pos += 1;
            let op = if c == '+' { Op::Add } else { Op::Sub };
            e = Expr::Bin(op, Box::new(e), Box::new(self.product()?));
        }
        Ok(e)
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut e = self.unary()?;
        while let Some(c @ ('*' | '/')) = self.peek_sym() {
            self.pos += 1;
            let op = if c == '*' { Op::Mul } else { Op::Div };
            e = Expr::Bin(op, Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.peek_sym() == Some('-') {
            self.pos += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.power()
    }

    fn power(&mut self) -> Result<Expr, String> {
        let base = self.atom()?;
        if self.peek_sym() == Some('^') {
            self.pos += 1;
            let exp = self.unary()?;
            return Ok(Expr::Bin(Op::Pow, Box::new(base), Box::new(exp)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, String> {
        let t = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or_else(|| "the formula ends too early".to_string())?;
        self.pos += 1;
        match t {
            Token::Num(x) => Ok(Expr::Num(x)),
            Token::Name(n) => {
                let slot = match self.names.iter().position(|m| *m == n) {
                    Some(i) => i,
                    None => {
                        self.names.push(n);
                        self.names.len() - 1
                    }
                };
                let slot = u16::try_from(slot).map_err(|_| "too many names".to_string())?;
                Ok(Expr::Var(slot))
            }
            Token::Sym('(') => {
                let e = self.sum()?;
                if self.peek_sym() != Some(')') {
                    return Err("a `(` is not closed".into());
                }
                self.pos += 1;
                Ok(e)
            }
            Token::Sym(c) => Err(format!("unexpected `{c}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmi_from_weight_and_height() {
        let (e, names) = Expr::parse("weight / (height / 100) ^ 2").unwrap();
        assert_eq!(names, ["weight", "height"]);
        let bmi = e.eval(&[81.0, 180.0]).unwrap();
        assert!((bmi - 25.0).abs() < 1e-12, "{bmi}");
    }

    #[test]
    fn precedence_and_associativity() {
        let v = |s: &str| Expr::parse(s).unwrap().0.eval(&[]).unwrap();
        assert_eq!(v("1 + 2 * 3"), 7.0);
        assert_eq!(v("(1 + 2) * 3"), 9.0);
        assert_eq!(v("2 ^ 3 ^ 2"), 512.0);
        assert_eq!(v("-2 ^ 2"), -4.0);
        assert_eq!(v("10 - 4 - 3"), 3.0);
        assert_eq!(v("8 / 4 / 2"), 1.0);
    }

    #[test]
    fn bad_formulas_say_why() {
        for (text, want) in [
            ("weight / ", "ends too early"),
            ("(weight", "not closed"),
            ("weight $ 2", "unexpected character `$`"),
            ("1.2.3", "not a number"),
            ("weight height", "unexpected `height`"),
        ] {
            let err = Expr::parse(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn non_finite_results_are_none() {
        let (e, _) = Expr::parse("a / b").unwrap();
        assert_eq!(e.eval(&[1.0, 0.0]), None);
        assert_eq!(e.eval(&[1.0]), None);
        let (e, _) = Expr::parse("a ^ 0.5").unwrap();
        assert_eq!(
            e.eval(&[4.0]),
            None,
            "fractional exponents are not supported"
        );
    }
}
