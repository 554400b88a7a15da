//! [native only] A small static server for the site: `www/`, `pkg/` and `static/` under one
//! origin on 127.0.0.1, with the right MIME types and a Content-Security-Policy that allows
//! nothing but that origin. Nothing else in the repository is reachable through it.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};

/// The CSP the server sends (and `www/index.html` repeats as a meta tag for static hosting).
/// `wasm-unsafe-eval` lets the page compile our own WebAssembly; nothing may be fetched,
/// framed or posted anywhere but our own origin.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// The iframe-mode page (`www/embed.html`) exists to be framed by other sites' portals, so it
/// may be framed anywhere; what it shares is guarded by its postMessage origin allow-list.
pub const EMBED_CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'none'; frame-ancestors *";

/// The policy a response carries.
pub fn content_security_policy(target: &str) -> &'static str {
    if target.split(['?', '#']).next() == Some("/www/embed.html") {
        EMBED_CONTENT_SECURITY_POLICY
    } else {
        CONTENT_SECURITY_POLICY
    }
}

/// Directories the server exposes, relative to its root.
pub const SERVED_DIRS: &[&str] = &["www", "pkg", "static"];

/// MIME type by file extension.
pub fn mime_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" | "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Map a request path to a file under `root`, or `None` when it is not ours to serve.
/// Only the [`SERVED_DIRS`] are reachable; `..`, backslashes, percent-escapes and hidden
/// segments are refused outright rather than normalised.
pub fn resolve(root: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let rel = path.strip_prefix('/')?;
    let mut segments = rel.split('/');
    let top = segments.next()?;
    if !SERVED_DIRS.contains(&top) {
        return None;
    }
    let mut out = root.join(top);
    for seg in segments {
        if seg.is_empty() {
            continue;
        }
        if seg.starts_with('.') || seg.contains(['\\', '%', '\0']) {
            return None;
        }
        out.push(seg);
    }
    if out.is_dir() {
        out.push("index.html");
    }
    Some(out)
}

/// An HTTP response: status, content type, body.
struct Reply {
    status: u16,
    reason: &'static str,
    content_type: &'static str,
    location: Option<String>,
    body: Vec<u8>,
}

fn text(status: u16, reason: &'static str, body: &str) -> Reply {
    Reply {
        status,
        reason,
        content_type: "text/plain; charset=utf-8",
        location: None,
        body: body.as_bytes().to_vec(),
    }
}

/// Decide the reply for a request line's method and target.
fn route(root: &Path, method: &str, target: &str) -> Reply {
    if method != "GET" && method != "HEAD" {
        return text(405, "Method Not Allowed", "method not allowed");
    }
    if target == "/" || target.starts_with("/?") {
        let mut r = text(302, "Found", "");
        r.location = Some(format!("/www/{}", target.trim_start_matches('/')));
        return r;
    }
    match resolve(root, target).map(|p| (std::fs::read(&p), p)) {
        Some((Ok(body), path)) => Reply {
            status: 200,
            reason: "OK",
            content_type: mime_type(&path),
            location: None,
            body,
        },
        _ => text(404, "Not Found", "not found"),
    }
}

/// Serve one connection: one request, one response, then close. Closing keeps the server
/// trivially correct (no keep-alive state); on localhost the extra connections cost nothing.
fn handle(root: &Path, stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers (bounded, so a hostile client cannot make us buffer forever).
    let mut header_bytes = 0usize;
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        header_bytes += n;
        if n == 0 || line == "\r\n" || line == "\n" || header_bytes > 64 * 1024 {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let reply = if target.is_empty() {
        text(400, "Bad Request", "bad request")
    } else {
        route(root, method, target)
    };
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\
         Content-Security-Policy: {}\r\nX-Content-Type-Options: nosniff\r\n\
         Referrer-Policy: no-referrer\r\nCross-Origin-Resource-Policy: same-origin\r\nCache-Control: no-cache\r\n",
        reply.status,
        reply.reason,
        reply.content_type,
        reply.body.len(),
        content_security_policy(target),
    );
    if let Some(loc) = &reply.location {
        head.push_str(&format!("Location: {loc}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = stream;
    out.write_all(head.as_bytes())?;
    if method != "HEAD" {
        out.write_all(&reply.body)?;
    }
    out.flush()
}

/// Serve `root` on `host:port` (port 0 picks a free one; a busy port falls back to the next
/// few, then any free one) until the process ends. Prints the app's URL on stdout once
/// listening.
pub fn serve(root: &Path, host: &str, port: u16) -> anyhow::Result<()> {
    let root = root
        .canonicalize()
        .with_context(|| format!("site root {}", root.display()))?;
    if !root.join("www").is_dir() {
        return Err(anyhow!(
            "{} has no www/ directory: run from the repository root or pass --root",
            root.display()
        ));
    }
    if !root.join("pkg").join("bedside_bg.wasm").is_file() {
        eprintln!(
            "warning: pkg/bedside_bg.wasm is missing; build it with ./dev.sh build (see README)"
        );
    }
    let candidates: Vec<u16> = if port == 0 {
        vec![0]
    } else {
        (port..port.saturating_add(10)).chain([0]).collect()
    };
    let mut last_err = None;
    let mut listener = None;
    for p in candidates {
        match TcpListener::bind((host, p)) {
            Ok(l) => {
                listener = Some(l);
                break;
            }
            Err(e) => last_err = Some(e),
        }
    }
    let listener = listener.ok_or_else(|| {
        anyhow!(
            "cannot listen on {host}:{port}: {}",
            last_err.map_or_else(String::new, |e| e.to_string())
        )
    })?;
    let addr = listener.local_addr()?;
    println!("Bedside is being served at http://{addr}/www/");
    std::io::stdout().flush().ok();
    let root = Arc::new(root);
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let root = Arc::clone(&root);
        std::thread::spawn(move || {
            // A client that went away is not our problem; never take the server down for it.
            let _ = handle(&root, stream);
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    #[test]
    fn only_the_iframe_page_may_be_framed_elsewhere() {
        assert!(
            content_security_policy("/www/embed.html?allow=https://a.example")
                .ends_with("frame-ancestors *")
        );
        assert!(content_security_policy("/www/").ends_with("frame-ancestors 'self'"));
        assert!(content_security_policy("/www/embed.html.bak").ends_with("frame-ancestors 'self'"));
    }

    use super::*;

    #[test]
    fn only_site_directories_resolve() {
        let root = Path::new("/site");
        assert_eq!(
            resolve(root, "/pkg/bedside_bg.wasm"),
            Some(PathBuf::from("/site/pkg/bedside_bg.wasm"))
        );
        assert_eq!(
            resolve(root, "/static/bundles/pima.bdsx?x=1"),
            Some(PathBuf::from("/site/static/bundles/pima.bdsx"))
        );
        for bad in [
            "/src/lib.rs",
            "/www/../Cargo.toml",
            "/www/%2e%2e/x",
            "/.git/config",
            "/www/.hidden",
            "relative",
            "/data/pima_tr.csv",
        ] {
            assert_eq!(resolve(root, bad), None, "{bad}");
        }
    }

    #[test]
    fn routes_redirect_refuse_and_serve() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let r = route(root, "GET", "/?bundle=pima.bdsx");
        assert_eq!(
            (r.status, r.location.as_deref()),
            (302, Some("/www/?bundle=pima.bdsx"))
        );
        assert_eq!(route(root, "POST", "/www/").status, 405);
        assert_eq!(route(root, "GET", "/Cargo.toml").status, 404);
        let r = route(root, "GET", "/www/index.html");
        assert_eq!(
            (r.status, r.content_type),
            (200, "text/html; charset=utf-8")
        );
    }

    #[test]
    fn wasm_gets_its_mime_type() {
        assert_eq!(mime_type(Path::new("a/b_bg.wasm")), "application/wasm");
        assert_eq!(
            mime_type(Path::new("a/b.js")),
            "text/javascript; charset=utf-8"
        );
    }

    #[test]
    fn csp_allows_only_our_origin() {
        assert!(CONTENT_SECURITY_POLICY.contains("default-src 'self'"));
        assert!(CONTENT_SECURITY_POLICY.contains("connect-src 'self'"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
        assert!(!CONTENT_SECURITY_POLICY.contains("'unsafe-eval'"));
    }
}
