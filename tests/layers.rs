//! The architecture, checked (rust-analyzer's `tidy` idea): every `crate::` path in `src/` names
//! only its own layer or a layer listed before it, no two files import each other however
//! indirectly, and few files sit loose in `src/`. The layers are listed once, in the `# Layers`
//! section of the crate docs (`src/lib.rs`); this test reads them from there.
//!
//! It reads the source as text: comments and the insides of string and character literals are
//! blanked out first, so a path in a doc comment or a message is not an import. Paths are taken
//! from `use` lines and from code alike (`crate::present::wording::flag_text(…)` counts), with
//! `super::` and `self::` resolved against the file and any inline `mod` around them.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Test code (`#[cfg(test)]` items, and files such as `cases/tests.rs` that their parent
/// declares under `#[cfg(test)]`) may reach up for fixtures (a trained bundle, a worded error).
/// Set to `true` once none does; then test code is held to the same rule.
const CHECK_TEST_CODE: bool = false;

/// At most this many `.rs` files directly in `src/` (lib.rs included); the rest live in layers.
const MAX_LOOSE_FILES: usize = 6;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

// ---- reading the source ----------------------------------------------------------------------

/// `src` with comments and the contents of string and char literals replaced by spaces
/// (line breaks kept, so line numbers stay right).
fn code_only(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        let after_ident = i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_');
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut level = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    level += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    level -= 1;
                    out.push_str("  ");
                    i += 2;
                    if level == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            continue;
        }
        // Raw strings: r"…", r#"…"#, br"…".
        if !after_ident && (c == 'r' || (c == 'b' && next == Some('r'))) {
            let mut j = if c == 'b' { i + 2 } else { i + 1 };
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) == Some(&'"') {
                out.extend(&b[i..=j]);
                j += 1;
                while j < b.len() {
                    if b[j] == '"' && (0..hashes).all(|h| b.get(j + 1 + h) == Some(&'#')) {
                        out.push('"');
                        out.push_str(&"#".repeat(hashes));
                        j += 1 + hashes;
                        break;
                    }
                    out.push(blank(b[j]));
                    j += 1;
                }
                i = j;
                continue;
            }
        }
        // Strings: "…", b"…".
        if c == '"' || (c == 'b' && next == Some('"') && !after_ident) {
            if c == 'b' {
                out.push('b');
                i += 1;
            }
            out.push('"');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push('"');
            i += 1;
            continue;
        }
        // Char literals ('x', '\n', '\'', '\u{…}'); a lone quote is a lifetime or a label.
        if c == '\'' {
            if next == Some('\\') {
                let mut j = i + 3;
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
                out.push_str(&" ".repeat(j + 1 - i));
                i = j + 1;
                continue;
            }
            if b.get(i + 2) == Some(&'\'') {
                out.push_str("   ");
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Punct(char),
}

/// Identifiers, `::` and single punctuation characters, each with its line.
fn tokens(code: &str) -> Vec<(Tok, usize)> {
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c.is_alphanumeric() || c == '_' {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push((Tok::Ident(chars[start..i].iter().collect()), n + 1));
                continue;
            }
            if c == ':' && chars.get(i + 1) == Some(&':') {
                out.push((Tok::Sep, n + 1));
                i += 2;
                continue;
            }
            if !c.is_whitespace() {
                out.push((Tok::Punct(c), n + 1));
            }
            i += 1;
        }
    }
    out
}

/// The paths of a path or `use` tree starting at identifier `toks[i]`: `a::b::c`,
/// `a::{b, c::d, self}` (each branch), `a::*` (`a`). Returns them and the index after them.
fn path_tree(toks: &[(Tok, usize)], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    while let Some((Tok::Ident(s), _)) = toks.get(i) {
        prefix.push(s.clone());
        i += 1;
        if !matches!(toks.get(i), Some((Tok::Sep, _))) {
            break;
        }
        i += 1;
        if matches!(toks.get(i), Some((Tok::Punct('{'), _))) {
            i += 1;
            let mut out = Vec::new();
            while let Some((t, _)) = toks.get(i) {
                match t {
                    Tok::Punct('}') => {
                        i += 1;
                        break;
                    }
                    Tok::Punct('*') => {
                        out.push(prefix.clone());
                        i += 1;
                    }
                    Tok::Ident(s) if s == "as" => i += 2,
                    Tok::Ident(_) => {
                        let (branches, next) = path_tree(toks, i);
                        for branch in branches {
                            let mut p = prefix.clone();
                            p.extend(branch.into_iter().filter(|s| s != "self"));
                            out.push(p);
                        }
                        i = next;
                    }
                    _ => i += 1,
                }
            }
            return (out, i);
        }
    }
    (vec![prefix], i)
}

/// `path` (starting with `crate`, `super` or `self`) from the crate root, seen from module
/// `here`; `None` for anything else.
fn absolute(path: &[String], here: &[String]) -> Option<Vec<String>> {
    let mut base = here.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("super" | "self") => {
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "super" => {
                        base.pop()?;
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// `#[cfg(test)]`, `#[cfg(all(test, …))]`; not `#[cfg(not(test))]` nor `#[cfg_attr(test, …)]`.
fn is_test_cfg(attr: &[(Tok, usize)]) -> bool {
    let words: Vec<String> = attr
        .iter()
        .map(|(t, _)| match t {
            Tok::Ident(s) => s.clone(),
            Tok::Punct(c) => c.to_string(),
            Tok::Sep => "::".to_string(),
        })
        .collect();
    let first = words
        .iter()
        .find(|w| w.chars().all(|c| c.is_alphanumeric() || c == '_'));
    let negated = |k: usize| k >= 2 && words[k - 1] == "(" && words[k - 2] == "not";
    first.map(String::as_str) == Some("cfg")
        && (0..words.len()).any(|k| words[k] == "test" && !negated(k))
}

/// One path a file names.
#[derive(Debug)]
struct Ref {
    line: usize,
    /// As written.
    text: String,
    /// From the crate root.
    abs: Vec<String>,
    /// Inside a `#[cfg(test)]` item.
    test: bool,
}

/// One source file.
#[derive(Debug)]
struct File {
    /// Relative to `src/`, with `/`.
    rel: String,
    /// Its module path (`contract/schema.rs` → `contract::schema`; `lib.rs` → the root).
    module: Vec<String>,
    /// Declared by its parent under `#[cfg(test)]`.
    test: bool,
    /// Its out-of-line child modules (`mod x;`).
    children: BTreeSet<String>,
    /// Of those, the ones declared under `#[cfg(test)]`.
    test_children: BTreeSet<String>,
    refs: Vec<Ref>,
}

fn scan(rel: &str, module: Vec<String>, source: &str) -> File {
    let toks = tokens(&code_only(source));
    let mut children = BTreeSet::new();
    for w in toks.windows(3) {
        if let [(Tok::Ident(m), _), (Tok::Ident(name), _), (Tok::Punct(';'), _)] = w {
            if m == "mod" {
                children.insert(name.clone());
            }
        }
    }
    let mut refs = Vec::new();
    let mut test_children = BTreeSet::new();
    let mut depth = 0usize;
    let mut nest = 0usize;
    let mut mods: Vec<(String, usize)> = Vec::new();
    let mut pending_mod: Option<String> = None;
    let mut pending_test = false;
    let mut test_from: Option<usize> = None;
    let mut i = 0;
    while i < toks.len() {
        let (tok, line) = &toks[i];
        let after_sep = i > 0 && matches!(toks[i - 1].0, Tok::Sep | Tok::Punct('$'));
        match tok {
            Tok::Punct('#') => {
                let mut j = i + 1;
                if matches!(toks.get(j), Some((Tok::Punct('!'), _))) {
                    j += 1;
                }
                if matches!(toks.get(j), Some((Tok::Punct('['), _))) {
                    let start = j;
                    let mut level = 0;
                    while let Some((t, _)) = toks.get(j) {
                        if *t == Tok::Punct('[') {
                            level += 1;
                        } else if *t == Tok::Punct(']') {
                            level -= 1;
                            if level == 0 {
                                break;
                            }
                        }
                        j += 1;
                    }
                    if is_test_cfg(&toks[start..j.min(toks.len())]) {
                        pending_test = true;
                    }
                    i = j + 1;
                    continue;
                }
            }
            Tok::Punct('{') => {
                depth += 1;
                if let Some(name) = pending_mod.take() {
                    mods.push((name, depth));
                }
                if pending_test && test_from.is_none() {
                    test_from = Some(depth);
                }
                pending_test = false;
            }
            Tok::Punct('}') => {
                if mods.last().is_some_and(|(_, d)| *d == depth) {
                    mods.pop();
                }
                if test_from == Some(depth) {
                    test_from = None;
                }
                depth = depth.saturating_sub(1);
            }
            Tok::Punct('(' | '[') => nest += 1,
            Tok::Punct(')' | ']') => nest = nest.saturating_sub(1),
            Tok::Punct(';') if nest == 0 => {
                if let Some(name) = pending_mod.take() {
                    if pending_test {
                        test_children.insert(name);
                    }
                }
                pending_test = false;
            }
            Tok::Ident(m) if m == "mod" => {
                if let Some((Tok::Ident(name), _)) = toks.get(i + 1) {
                    pending_mod = Some(name.clone());
                }
            }
            Tok::Ident(first) if !after_sep && matches!(toks.get(i + 1), Some((Tok::Sep, _))) => {
                let child = mods.is_empty() && children.contains(first);
                if child || matches!(first.as_str(), "crate" | "super" | "self") {
                    let (paths, next) = path_tree(&toks, i);
                    let mut here = module.clone();
                    here.extend(mods.iter().map(|(m, _)| m.clone()));
                    for p in paths {
                        let abs = if child {
                            Some(module.iter().chain(&p).cloned().collect())
                        } else {
                            absolute(&p, &here)
                        };
                        if let Some(abs) = abs {
                            refs.push(Ref {
                                line: *line,
                                text: p.join("::"),
                                abs,
                                test: test_from.is_some() || pending_test,
                            });
                        }
                    }
                    i = next;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    File {
        rel: rel.to_string(),
        module,
        test: false,
        children,
        test_children,
        refs,
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Every file of the library (not `src/bin/`, a separate crate), paths from the crate root,
/// and the root's re-exports (`crate::Bundle`) replaced by what they name.
fn files() -> Vec<File> {
    let root = src();
    let mut paths = Vec::new();
    rust_files(&root, &mut paths);
    let mut out = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        let rel = p
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with("bin/") {
            continue;
        }
        let mut module: Vec<String> = rel.split('/').map(str::to_string).collect();
        let last = module.pop().unwrap_or_default();
        let stem = last.trim_end_matches(".rs");
        if stem != "mod" && stem != "lib" {
            module.push(stem.to_string());
        }
        out.push(scan(&rel, module, &text));
    }
    let tests: BTreeSet<Vec<String>> = out
        .iter()
        .flat_map(|f| {
            f.test_children.iter().map(move |c| {
                let mut m = f.module.clone();
                m.push(c.clone());
                m
            })
        })
        .collect();
    let reexports: BTreeMap<String, Vec<String>> = out
        .iter()
        .filter(|f| f.module.is_empty())
        .flat_map(|f| &f.refs)
        .filter_map(|r| Some((r.abs.last()?.clone(), r.abs.clone())))
        .collect();
    let modules: BTreeSet<String> = out
        .iter()
        .filter_map(|f| f.module.first().cloned())
        .collect();
    for f in &mut out {
        f.test = tests.contains(&f.module);
        for r in &mut f.refs {
            let named = r.abs.first().filter(|s| !modules.contains(*s)).cloned();
            if let Some(target) = named.and_then(|s| reexports.get(&s)) {
                r.abs = target.iter().chain(r.abs.iter().skip(1)).cloned().collect();
            }
        }
    }
    out
}

/// The layers, in order, from the fenced block of the `# Layers` section of the crate docs: one
/// line per rank, `name[, name]  description`; names on one line are siblings.
fn layers() -> Vec<Vec<String>> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let mut out = Vec::new();
    let (mut section, mut block) = (false, false);
    for line in lib.lines() {
        let Some(doc) = line.strip_prefix("//!") else {
            continue;
        };
        let doc = doc.trim();
        if doc.starts_with("```") {
            if block {
                break;
            }
            block = section;
        } else if doc.starts_with('#') && !block {
            section = doc.trim_start_matches('#').trim() == "Layers";
        } else if block && !doc.is_empty() {
            let names = doc.split("  ").next().unwrap_or_default();
            out.push(names.split(',').map(|n| n.trim().to_string()).collect());
        }
    }
    out
}

fn rank() -> BTreeMap<String, usize> {
    layers()
        .into_iter()
        .enumerate()
        .flat_map(|(i, names)| names.into_iter().map(move |n| (n, i)))
        .collect()
}

/// File → file it imports → where (the first line and path that does).
type Graph<'a> = BTreeMap<&'a str, BTreeMap<&'a str, String>>;

/// Whether the rules apply to this path (see [`CHECK_TEST_CODE`]).
fn checked(f: &File, r: &Ref) -> bool {
    CHECK_TEST_CODE || !(f.test || r.test)
}

// ---- the rules --------------------------------------------------------------------------------

#[test]
fn every_import_names_its_own_layer_or_one_listed_before_it() {
    let rank = rank();
    let order: Vec<String> = layers().iter().map(|t| t.join(", ")).collect();
    let mut wrong = Vec::new();
    for f in files() {
        let Some(own) = f.module.first() else {
            continue;
        };
        let Some(&mine) = rank.get(own) else {
            wrong.push(format!(
                "src/{}: `{own}` is not a layer of src/lib.rs",
                f.rel
            ));
            continue;
        };
        for r in f.refs.iter().filter(|r| checked(&f, r)) {
            let Some(target) = r.abs.first() else {
                continue;
            };
            match rank.get(target) {
                None => wrong.push(format!(
                    "src/{}:{}: `{}` goes through `crate::{target}`, which is not a layer",
                    f.rel, r.line, r.text
                )),
                Some(&theirs) if target != own && theirs >= mine => wrong.push(format!(
                    "src/{}:{}: `{}`: layer `{own}` may not import layer `{target}`",
                    f.rel, r.line, r.text
                )),
                Some(_) => {}
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports up or across the layers ({}):\n{}",
        order.join(" → "),
        wrong.join("\n")
    );
}

#[test]
fn no_two_files_import_each_other_even_through_others() {
    let files = files();
    let by_module: BTreeMap<&[String], &str> = files
        .iter()
        .map(|f| (f.module.as_slice(), f.rel.as_str()))
        .collect();
    // file → file it imports → the first line and path that does.
    let mut graph: Graph = BTreeMap::new();
    for f in &files {
        let edges = graph.entry(f.rel.as_str()).or_default();
        for r in f.refs.iter().filter(|r| checked(f, r)) {
            let target = (0..=r.abs.len())
                .rev()
                .find_map(|n| by_module.get(&r.abs[..n]).copied());
            if let Some(target) = target.filter(|t| *t != f.rel) {
                edges
                    .entry(target)
                    .or_insert_with(|| format!("src/{}:{} `{}`", f.rel, r.line, r.text));
            }
        }
    }
    /// Depth first; a file met again while still on the stack closes a cycle.
    fn visit<'a>(
        n: &'a str,
        graph: &Graph<'a>,
        done: &mut BTreeSet<&'a str>,
        stack: &mut Vec<&'a str>,
        cycles: &mut Vec<String>,
    ) {
        stack.push(n);
        for &m in graph.get(n).into_iter().flat_map(|e| e.keys()) {
            if let Some(at) = stack.iter().position(|s| *s == m) {
                let hops: Vec<String> = stack[at..]
                    .iter()
                    .zip(stack[at + 1..].iter().chain([&m]))
                    .map(|(a, b)| graph[a][b].clone())
                    .collect();
                cycles.push(hops.join("\n    → "));
            } else if !done.contains(m) {
                visit(m, graph, done, stack, cycles);
            }
        }
        stack.pop();
        done.insert(n);
    }
    let mut cycles = Vec::new();
    let mut done = BTreeSet::new();
    for &n in graph.keys() {
        if !done.contains(n) {
            visit(n, &graph, &mut done, &mut Vec::new(), &mut cycles);
        }
    }
    assert!(
        cycles.is_empty(),
        "import cycles between files:\n  {}",
        cycles.join("\n  ")
    );
}

#[test]
fn the_layers_are_the_crate_modules_and_at_most_six_files_are_loose() {
    let listed: BTreeSet<String> = layers().into_iter().flatten().collect();
    let files = files();
    let lib = files.iter().find(|f| f.module.is_empty()).unwrap();
    assert!(!listed.is_empty(), "src/lib.rs has no `# Layers` list");
    assert_eq!(
        lib.children, listed,
        "src/lib.rs must declare exactly the layers its `# Layers` section lists"
    );
    let loose: Vec<&str> = files
        .iter()
        .map(|f| f.rel.as_str())
        .filter(|r| !r.contains('/'))
        .collect();
    assert!(
        loose.len() <= MAX_LOOSE_FILES,
        "{} files loose in src/ (at most {MAX_LOOSE_FILES}): {loose:?}",
        loose.len()
    );
}
