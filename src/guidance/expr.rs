//! Arithmetic for derived values (BMI from weight and height, say): a formula over feature
//! names, parsed once when the bundle is built and evaluated in the browser.
//!
//! The grammar is deliberately tiny: numbers, names, `+ - * / ^`, unary minus and parentheses,
//! with the usual precedence (`^` binds tightest and is right-associative; exponents are whole
//! numbers). Anything richer
//! belongs in the trainer, not in a rule file a clinician reviews.
//!
//! A formula is a tree, and everything that walks it (decoding, evaluation, comparison, drop)
//! recurses once per level. A bundle can come from a hostile source, and a few megabytes of
//! nested `-(-(-(…)))` would overflow the stack while decoding and kill the page; so trees are
//! at most [`MAX_DEPTH`] levels deep, enforced where trees are made: by the parser (so whatever
//! the trainer writes can be read back) and by both decoders: the hand decoder the app reads
//! bundles with (`wire_impls` below) and the hand-written serde `Deserialize` it is checked
//! against. Both stop reading at the limit instead of recursing further.

use std::cell::Cell;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, SeqAccess, VariantAccess, Visitor,
};
use serde::{Deserialize, Serialize};

/// The deepest formula accepted, counting a number or a name as one level and each operator
/// above it as one more. Clinical formulas (BMI, eGFR, a score) are a handful of levels; 64
/// leaves room for any that a person would review, while a decoder recursing 64 times stays
/// far inside the browser's stack.
pub const MAX_DEPTH: usize = 64;

/// Why a formula was refused for its depth, in words (also what the bundle decoder reports).
pub fn too_deep() -> String {
    format!("a formula is nested more than {MAX_DEPTH} levels deep; accepted: at most {MAX_DEPTH} levels")
}

thread_local! {
    /// Set when serde's decoding refused a formula for its depth. postcard replaces every
    /// custom decode error by one message-less "Serde Deserialization Error", so the reference
    /// decoder (`bundle::read_payload_with_serde`) reads this to say what was actually wrong
    /// ([`take_depth_refusal`]); the app's own decoder carries the message itself.
    static DEPTH_REFUSED: Cell<bool> = const { Cell::new(false) };
}

/// Whether decoding on this thread refused a formula as too deep since the last call; clears
/// the mark.
pub fn take_depth_refusal() -> bool {
    DEPTH_REFUSED.with(|r| r.replace(false))
}

/// A parsed formula. Names are resolved to operand slots by the caller.
///
/// Encoded as serde's derive would (variant index, then fields), so bundles written before
/// the depth limit read back byte for byte; decoding refuses trees deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, PartialEq, Serialize)]
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
            nesting: 0,
        };
        let e = p.sum()?;
        if let Some(t) = p.tokens.get(p.pos) {
            return Err(format!("unexpected `{}` in `{text}`", t.show()));
        }
        Ok((e, p.names))
    }

    /// The value with operand slots filled from `vars`; `None` when a slot is missing, the
    /// result is not a finite number (division by zero, say) or the tree is deeper than
    /// [`MAX_DEPTH`] (which parsing and decoding never produce; the bound keeps a tree built
    /// some other way from overflowing the stack here).
    pub fn eval(&self, vars: &[f64]) -> Option<f64> {
        self.eval_within(vars, MAX_DEPTH)
    }

    /// [`Expr::eval`], recursing at most `levels` deep.
    fn eval_within(&self, vars: &[f64], levels: usize) -> Option<f64> {
        let below = levels.checked_sub(1)?;
        let v = match self {
            Expr::Num(x) => *x,
            Expr::Var(i) => *vars.get(usize::from(*i))?,
            Expr::Neg(e) => -e.eval_within(vars, below)?,
            Expr::Bin(op, a, b) => {
                let (a, b) = (a.eval_within(vars, below)?, b.eval_within(vars, below)?);
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

    /// The tree's depth (a number or a name is 1) when it is at most `limit`, else `None`.
    /// Recurses at most `limit` deep, so it is safe on a tree of any depth.
    pub fn depth_within(&self, limit: usize) -> Option<usize> {
        let below = limit.checked_sub(1)?;
        Some(match self {
            Expr::Num(_) | Expr::Var(_) => 1,
            Expr::Neg(e) => 1 + e.depth_within(below)?,
            Expr::Bin(_, a, b) => 1 + a.depth_within(below)?.max(b.depth_within(below)?),
        })
    }
}

/// Decoding: the derive's format, read with a depth count. Each level is read by an
/// [`ExprSeed`] that knows how deep it is and refuses to go past [`MAX_DEPTH`], so a hostile
/// payload stops being read at level 65 instead of recursing until the stack runs out.
impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Expr, D::Error> {
        ExprSeed { level: 1 }.deserialize(deserializer)
    }
}

/// The variants in declaration order: their index is what postcard writes.
const VARIANTS: &[&str] = &["Num", "Var", "Neg", "Bin"];

/// A variant named by index (postcard) or by name (self-describing formats), as the derive
/// reads it.
#[derive(Deserialize)]
#[serde(variant_identifier)]
enum Variant {
    Num,
    Var,
    Neg,
    Bin,
}

/// Reads one node at `level` (the root is level 1).
#[derive(Clone, Copy)]
struct ExprSeed {
    level: usize,
}

impl ExprSeed {
    fn below(self) -> ExprSeed {
        ExprSeed {
            level: self.level.saturating_add(1),
        }
    }
}

impl<'de> DeserializeSeed<'de> for ExprSeed {
    type Value = Expr;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Expr, D::Error> {
        if self.level > MAX_DEPTH {
            DEPTH_REFUSED.with(|r| r.set(true));
            return Err(de::Error::custom(too_deep()));
        }
        deserializer.deserialize_enum("Expr", VARIANTS, self)
    }
}

impl<'de> Visitor<'de> for ExprSeed {
    type Value = Expr;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a formula (a number, an operand slot, a negation or a binary operation)")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Expr, A::Error> {
        let (variant, access) = data.variant::<Variant>()?;
        match variant {
            Variant::Num => access.newtype_variant().map(Expr::Num),
            Variant::Var => access.newtype_variant().map(Expr::Var),
            Variant::Neg => access
                .newtype_variant_seed(self.below())
                .map(|e| Expr::Neg(Box::new(e))),
            Variant::Bin => access.tuple_variant(3, BinVisitor(self.below())),
        }
    }
}

/// Reads the fields of `Bin`: the operator, then both operands one level down.
struct BinVisitor(ExprSeed);

impl<'de> Visitor<'de> for BinVisitor {
    type Value = Expr;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an operator and two operands")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Expr, A::Error> {
        let op: Op = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let a = seq
            .next_element_seed(self.0)?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        let b = seq
            .next_element_seed(self.0)?
            .ok_or_else(|| de::Error::invalid_length(2, &self))?;
        Ok(Expr::Bin(op, Box::new(a), Box::new(b)))
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
    /// Calls of `unary` in progress. Every recursion of the parser (a parenthesis, a minus
    /// sign, an exponent) goes through `unary`, so bounding this by [`MAX_DEPTH`] bounds the
    /// parser's stack; each of them counts as a level even where it adds none to the tree
    /// (a parenthesis), which only refuses text no clinician would write.
    nesting: usize,
}

/// `e` when its tree is at most [`MAX_DEPTH`] deep. Called on every operator node the parser
/// builds, whose operands were checked before, so a long chain (`1 + 1 + …`, built in a loop,
/// not by recursion) is refused as soon as it gets too deep, while dropping it is still safe.
fn bounded(e: Expr) -> Result<Expr, String> {
    match e.depth_within(MAX_DEPTH) {
        Some(_) => Ok(e),
        None => Err(too_deep()),
    }
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
            e = bounded(Expr::Bin(op, Box::new(e), Box::new(self.product()?)))?;
        }
        Ok(e)
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut e = self.unary()?;
        while let Some(c @ ('*' | '/')) = self.peek_sym() {
            self.pos += 1;
            let op = if c == '*' { Op::Mul } else { Op::Div };
            e = bounded(Expr::Bin(op, Box::new(e), Box::new(self.unary()?)))?;
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.nesting >= MAX_DEPTH {
            return Err(too_deep());
        }
        self.nesting += 1;
        let e = self.unary_unbounded();
        self.nesting -= 1;
        e
    }

    fn unary_unbounded(&mut self) -> Result<Expr, String> {
        if self.peek_sym() == Some('-') {
            self.pos += 1;
            return bounded(Expr::Neg(Box::new(self.unary()?)));
        }
        self.power()
    }

    fn power(&mut self) -> Result<Expr, String> {
        let base = self.atom()?;
        if self.peek_sym() == Some('^') {
            self.pos += 1;
            let exp = self.unary()?;
            return bounded(Expr::Bin(Op::Pow, Box::new(base), Box::new(exp)));
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

    /// Nested formula text: `depth` levels (a name is one, each minus sign one more).
    fn negations(depth: usize) -> String {
        format!("{}x", "-".repeat(depth - 1))
    }

    /// A left-leaning chain `x + x + …` of `depth` levels, built in the parser's loop.
    fn chain(depth: usize) -> String {
        vec!["x"; depth].join(" + ")
    }

    /// `x` inside `n` pairs of parentheses (tree depth 1, parser nesting n + 1).
    fn parenthesised(n: usize) -> String {
        format!("{}x{}", "(".repeat(n), ")".repeat(n))
    }

    #[test]
    fn formulas_at_the_depth_limit_parse_and_evaluate() {
        for text in [
            negations(MAX_DEPTH),
            chain(MAX_DEPTH),
            parenthesised(MAX_DEPTH - 1),
            // x + (x + (… + (x + x))): depth 64 through 62 pairs of parentheses.
            format!(
                "{}x + x{}",
                "x + (".repeat(MAX_DEPTH - 2),
                ")".repeat(MAX_DEPTH - 2)
            ),
        ] {
            let (e, _) = Expr::parse(&text).unwrap_or_else(|err| panic!("{text}: {err}"));
            assert!(e.depth_within(MAX_DEPTH).is_some(), "{text}");
            assert!(e.eval(&[1.0]).is_some(), "{text}");
        }
    }

    #[test]
    fn formulas_nested_deeper_than_the_limit_are_refused_by_the_parser_with_the_limit() {
        for text in [
            negations(MAX_DEPTH + 1),
            chain(MAX_DEPTH + 1),
            parenthesised(MAX_DEPTH),
            "2 ^ ".repeat(MAX_DEPTH) + "2",
            // Far deeper: refused without overflowing the stack on the way in or out.
            negations(1_000_000),
            chain(1_000_000),
            parenthesised(1_000_000),
        ] {
            let err = Expr::parse(&text).unwrap_err();
            assert_eq!(err, too_deep(), "{}…", &text[..20.min(text.len())]);
        }
        assert!(too_deep().contains(&format!("at most {MAX_DEPTH} levels")));
    }

    /// `Expr` as serde's derive encodes it: the format of every bundle written so far.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Derived {
        Num(f64),
        Var(u16),
        Neg(Box<Derived>),
        Bin(Op, Box<Derived>, Box<Derived>),
    }

    fn derived(e: &Expr) -> Derived {
        match e {
            Expr::Num(x) => Derived::Num(*x),
            Expr::Var(i) => Derived::Var(*i),
            Expr::Neg(a) => Derived::Neg(Box::new(derived(a))),
            Expr::Bin(op, a, b) => Derived::Bin(*op, Box::new(derived(a)), Box::new(derived(b))),
        }
    }

    #[test]
    fn the_encoding_is_the_derived_one_byte_for_byte_in_both_directions() {
        for text in [
            "weight / (height / 100) ^ 2".to_string(),
            "-a * 3.5 - b + 2 ^ -c".into(),
            "140 - age".into(),
            negations(MAX_DEPTH),
            chain(MAX_DEPTH),
        ] {
            let (e, _) = Expr::parse(&text).unwrap();
            let old = postcard::to_allocvec(&derived(&e)).unwrap();
            assert_eq!(postcard::to_allocvec(&e).unwrap(), old, "{text}");
            assert_eq!(postcard::from_bytes::<Expr>(&old).unwrap(), e, "{text}");
            // Self-describing formats name the variants; they read back as well.
            let json = serde_json::to_string(&derived(&e)).unwrap();
            assert_eq!(serde_json::from_str::<Expr>(&json).unwrap(), e, "{text}");
        }
    }

    /// postcard bytes of `levels` nested negations of the number 1 (written by hand: building
    /// the tree itself would overflow the stack when dropped).
    fn nested_negations(levels: usize) -> Vec<u8> {
        let mut bytes = vec![2u8; levels - 1]; // variant 2: Neg
        bytes.push(0); // variant 0: Num
        bytes.extend_from_slice(&1.0f64.to_le_bytes());
        bytes
    }

    #[test]
    fn decoding_stops_at_the_depth_limit_and_marks_why() {
        take_depth_refusal();
        let e = postcard::from_bytes::<Expr>(&nested_negations(MAX_DEPTH)).unwrap();
        assert_eq!(e.depth_within(MAX_DEPTH), Some(MAX_DEPTH));
        assert!(!take_depth_refusal());

        // A left-deep chain of `Bin` nodes: 3 = Bin, 0 = Add, then the left operand.
        let mut bin = [3u8, 0].repeat(MAX_DEPTH);
        for _ in 0..=MAX_DEPTH {
            bin.push(0);
            bin.extend_from_slice(&1.0f64.to_le_bytes());
        }
        for bytes in [
            nested_negations(MAX_DEPTH + 1),
            nested_negations(10_000_000),
            bin,
        ] {
            assert!(postcard::from_bytes::<Expr>(&bytes).is_err());
            assert!(take_depth_refusal(), "the refusal is marked");
            assert!(!take_depth_refusal(), "and the mark is cleared once read");
        }
        // Other decode errors are not mistaken for depth.
        assert!(postcard::from_bytes::<Expr>(&[9]).is_err());
        assert!(!take_depth_refusal());
    }

    #[test]
    fn evaluating_a_hand_built_tree_deeper_than_the_limit_is_none() {
        let mut e = Expr::Num(1.0);
        for _ in 0..MAX_DEPTH {
            e = Expr::Neg(Box::new(e));
        }
        assert_eq!(e.depth_within(MAX_DEPTH), None);
        assert_eq!(e.depth_within(MAX_DEPTH + 1), Some(MAX_DEPTH + 1));
        assert_eq!(e.eval(&[]), None);
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

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::{decode, decode_unit_enum, Decode, Reader, WireError};
    decode_unit_enum!(Op {
        Add,
        Sub,
        Mul,
        Div,
        Pow
    });
    fn at(r: &mut Reader<'_>, level: usize) -> Expr {
        if level > MAX_DEPTH {
            r.fail(WireError::Refused(too_deep()));
            return Expr::Num(0.0);
        }
        match r.variant() {
            0 => Expr::Num(decode(r)),
            1 => Expr::Var(decode(r)),
            2 => Expr::Neg(Box::new(at(r, level + 1))),
            3 => {
                let op = decode(r);
                let a = at(r, level + 1);
                Expr::Bin(op, Box::new(a), Box::new(at(r, level + 1)))
            }
            _ => r.bad_variant(Expr::Num(0.0)),
        }
    }
    impl Decode for Expr {
        fn decode(r: &mut Reader<'_>) -> Self {
            at(r, 1)
        }
    }
}
