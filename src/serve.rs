//! [native only] A small static server for the site: `www/`, `pkg/` and `static/` under one
//! origin on 127.0.0.1, with the right MIME types and a Content-Security-Policy that allows
//! nothing but that origin. Nothing else in the repository is reachable through it.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, Context};
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

/// The CSP the server sends (and `www/index.html` repeats as a meta tag for static hosting).
/// `wasm-unsafe-eval` lets the page compile our own WebAssembly; nothing may be fetched,
/// framed or posted anywhere but our own origin.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

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

fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn respond(root: &Path, req: Request) {
    let url = req.url().to_string();
    let security = [
        header("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        header("X-Content-Type-Options", "nosniff"),
        header("Referrer-Policy", "no-referrer"),
        header("Cross-Origin-Resource-Policy", "same-origin"),
        header("Cache-Control", "no-cache"),
    ];
    let with_security = |mut r: Response<std::io::Cursor<Vec<u8>>>| {
        for h in security.iter().flatten() {
            r.add_header(h.clone());
        }
        r
    };
    let text = |status: u16, body: &str| {
        let mut r = with_security(Response::from_string(body).with_status_code(StatusCode(status)));
        if let Some(h) = header("Content-Type", "text/plain; charset=utf-8") {
            r.add_header(h);
        }
        r
    };
    let response = if !matches!(req.method(), Method::Get | Method::Head) {
        text(405, "method not allowed")
    } else if url == "/" || url.starts_with("/?") {
        let location = format!("/www/{}", url.trim_start_matches('/'));
        let mut r = text(302, "");
        if let Some(h) = header("Location", &location) {
            r.add_header(h);
        }
        r
    } else {
        match resolve(root, &url).map(|p| (std::fs::read(&p), p)) {
            Some((Ok(bytes), path)) => {
                let mut r = with_security(Response::from_data(bytes));
                if let Some(h) = header("Content-Type", mime_type(&path)) {
                    r.add_header(h);
                }
                r
            }
            _ => text(404, "not found"),
        }
    };
    // tiny_http leaves the body out of HEAD responses itself.
    // A client that went away is not our problem; never take the server down for it.
    let _ = req.respond(response);
}

/// Serve `root` on `host:port` (port 0 picks a free one) until the process ends. Prints the
/// app's URL on stdout once listening.
pub fn serve(root: &Path, host: &str, port: u16) -> anyhow::Result<()> {
    let root = root
        .canonicalize()
        .with_context(|| format!("site root {}", root.display()))?;
    for dir in ["www"] {
        if !root.join(dir).is_dir() {
            return Err(anyhow!(
                "{} has no {dir}/ directory: run from the repository root or pass --root",
                root.display()
            ));
        }
    }
    if !root.join("pkg").join("bedside_bg.wasm").is_file() {
        eprintln!("warning: pkg/bedside_bg.wasm is missing; build it with wasm-pack (see README)");
    }
    let server =
        Server::http((host, port)).map_err(|e| anyhow!("cannot listen on {host}:{port}: {e}"))?;
    let addr: SocketAddr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| anyhow!("server is not on an IP socket"))?;
    println!("Bedside is being served at http://{addr}/www/");
    std::io::stdout().flush().ok();
    let server = Arc::new(server);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let server = Arc::clone(&server);
            let root = root.clone();
            std::thread::spawn(move || {
                for req in server.incoming_requests() {
                    respond(&root, req);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().map_err(|_| anyhow!("a server thread stopped"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
