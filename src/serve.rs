//! [native only] A small static server for the site: `www/`, `pkg/` and `static/` under one
//! origin on 127.0.0.1, with the right MIME types and a Content-Security-Policy that allows
//! nothing but that origin. Nothing else in the repository is reachable through it.
//!
//! It is meant for one browser on the same machine, but anything that can reach the port can
//! talk to it, so every resource a client can make it spend is bounded: bytes buffered per
//! request ([`MAX_REQUEST_LINE`], [`MAX_HEADER_BYTES`], [`MAX_HEADER_LINES`]), time per
//! connection ([`REQUEST_DEADLINE`], [`RESPONSE_DEADLINE`], [`LINGER_TIME`]) and threads
//! ([`MAX_CONNECTIONS`]). Symlinks cannot lead out of the served directories.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};

/// Longest request line accepted, CRLF included; longer gets 414. Our own URLs are under
/// 200 bytes; 8 KiB is what common servers (nginx, Apache) allow, so no real client is refused.
pub const MAX_REQUEST_LINE: usize = 8 * 1024;

/// Most bytes of header lines accepted after the request line; more gets 431. Browsers send
/// under 2 KiB to a cookie-less localhost origin; 32 KiB leaves room and still bounds memory.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Most header lines accepted; more gets 431 (Apache's default is the same 100). Many tiny
/// lines cost work per line, which the byte cap alone would not bound tightly.
pub const MAX_HEADER_LINES: usize = 100;

/// Time from accepting a connection to having read its whole request head; an idle client is
/// then closed silently, a slow one answered 408. A whole deadline rather than a per-read
/// timeout, so a client that trickles one byte at a time cannot hold the connection forever.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(10);

/// Time allowed for writing a whole response. Our largest file (the WASM) takes milliseconds on
/// localhost; the bound is for a client that stops reading.
pub const RESPONSE_DEADLINE: Duration = Duration::from_secs(30);

/// After answering, how long we keep reading (and discarding) what the client still sends
/// before closing, and how many bytes at most (why: see `handle`).
pub const LINGER_TIME: Duration = Duration::from_secs(1);

/// See [`LINGER_TIME`].
pub const LINGER_BYTES: u64 = 64 * 1024;

/// Connections served at once; one more is answered 503 with `Retry-After` and closed without
/// spawning a thread. A browser opens at most 6 per origin, so 64 is never reached by honest
/// use. With the deadlines above every connection ends within 41 s of being accepted, so a
/// client can only keep the slots full by opening new connections all the time.
pub const MAX_CONNECTIONS: usize = 64;

/// The `Retry-After` a refused connection is given, in seconds.
pub const RETRY_AFTER_SECS: u32 = 1;

/// Pause after a failed `accept` (say, out of file descriptors), so the loop waits for the
/// condition to clear instead of spinning on it.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

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

/// The EHR launch page: its `connect-src` is the deployer's FHIR servers
/// ([`crate::interop::smart::launch_policy`]), in the header and in the page's own meta tag.
pub const LAUNCH_PAGE: &str = "/www/launch.html";

/// Where the launch page reads the deployer's configuration.
pub const SMART_CONFIG: &str = "/static/smart.json";

/// What is served: the site's directories, and the SMART launch configuration with the launch
/// page's policy (worked out once at start).
pub struct Site {
    /// The repository root (holding www/, pkg/, static/).
    pub root: PathBuf,
    /// `--smart FILE`'s bytes, served as [`SMART_CONFIG`] in place of the site's own file.
    pub smart: Option<Vec<u8>>,
    /// The launch page's Content-Security-Policy.
    pub launch_policy: String,
}

impl Site {
    /// A site with no launch configuration of its own (the one under `static/`, if any, was
    /// read by the caller).
    pub fn plain(root: PathBuf) -> Site {
        Site {
            root,
            smart: None,
            launch_policy: crate::interop::smart::launch_policy(None),
        }
    }
}

/// The reply for a request to `site`: the launch configuration and the launch page with its
/// policy; everything else as [`route`] decides.
fn route_site(site: &Site, method: &str, target: &str) -> Reply {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let mut reply = match (&site.smart, path) {
        (Some(bytes), SMART_CONFIG) if method == "GET" || method == "HEAD" => Reply {
            status: 200,
            reason: "OK",
            content_type: "application/json",
            headers: Vec::new(),
            body: bytes.clone(),
        },
        _ => route(&site.root, method, target),
    };
    if path == LAUNCH_PAGE && reply.status == 200 {
        // The meta tag cannot carry frame-ancestors: the part before it.
        let meta = |p: &str| {
            p.split("; frame-ancestors")
                .next()
                .unwrap_or("")
                .to_string()
        };
        let page = String::from_utf8_lossy(&reply.body).replace(
            &meta(&crate::interop::smart::launch_policy(None)),
            &meta(&site.launch_policy),
        );
        reply.body = page.into_bytes();
        reply
            .headers
            .push(("Content-Security-Policy", site.launch_policy.clone()));
    }
    reply
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

/// The file to read for `path` (an answer of [`resolve`] for `root`), or `None` when it must not
/// be served. [`resolve`] judges names only, and a symlink inside a served directory could
/// still lead anywhere on disk; so the file's canonical form (every symlink followed) must lie
/// inside the canonical form of the served directory the URL named. The served directories
/// themselves may be symlinks (the operator chose them; the update test in
/// `tests/e2e/offline.test.mjs` links `www/` and `static/` that way). Only regular files pass:
/// a FIFO or a device would block a reader or never end.
fn confine(root: &Path, path: &Path) -> Option<PathBuf> {
    let top = path.strip_prefix(root).ok()?.components().next()?;
    let base = root.join(top).canonicalize().ok()?;
    let real = path.canonicalize().ok()?;
    (real.starts_with(&base) && real.metadata().ok()?.is_file()).then_some(real)
}

/// An HTTP response: status, content type, extra headers, body.
struct Reply {
    status: u16,
    reason: &'static str,
    content_type: &'static str,
    /// Headers beyond the fixed set every reply carries (`Location`, `Allow`, `Retry-After`).
    /// Values come from our own constants or from a request target that
    /// [`parse_request_line`] has limited to printable ASCII, so none can break the header.
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn text(status: u16, reason: &'static str, body: &str) -> Reply {
    Reply {
        status,
        reason,
        content_type: "text/plain; charset=utf-8",
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
    }
}

/// Decide the reply for a request line's method and target.
fn route(root: &Path, method: &str, target: &str) -> Reply {
    if method != "GET" && method != "HEAD" {
        let mut r = text(405, "Method Not Allowed", "method not allowed");
        // RFC 9110 §15.5.6: a 405 must say which methods are allowed.
        r.headers.push(("Allow", "GET, HEAD".to_owned()));
        return r;
    }
    if target == "/" || target.starts_with("/?") {
        let mut r = text(302, "Found", "");
        r.headers.push((
            "Location",
            format!("/www/{}", target.trim_start_matches('/')),
        ));
        return r;
    }
    let file = resolve(root, target).and_then(|path| Some((confine(root, &path)?, path)));
    // The type follows the name the URL asked for, not the name a symlink leads to.
    match file.map(|(real, path)| (std::fs::read(real), path)) {
        Some((Ok(body), path)) => Reply {
            status: 200,
            reason: "OK",
            content_type: mime_type(&path),
            headers: Vec::new(),
            body,
        },
        _ => text(404, "Not Found", "not found"),
    }
}

/// Why a request head got no normal answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// The client closed, reset, or stayed silent before sending a byte: nobody to answer.
    Gone,
    /// Not an HTTP/1 request line, or the head ended early: 400.
    Malformed,
    /// Part of a head arrived, then the [`REQUEST_DEADLINE`] passed: 408.
    TimedOut,
    /// Request line longer than [`MAX_REQUEST_LINE`]: 414.
    LineTooLong,
    /// Header lines beyond [`MAX_HEADER_BYTES`] or [`MAX_HEADER_LINES`]: 431.
    HeadersTooLarge,
    /// `HTTP/` followed by a version other than 1.0 or 1.1: 505.
    VersionNotSupported,
}

impl Refusal {
    /// The reply to send, if anyone is listening. Refusals carry no body, so a refused `HEAD`
    /// (whose method may never have been read) is answered correctly too.
    fn reply(self) -> Option<Reply> {
        let (status, reason) = match self {
            Refusal::Gone => return None,
            Refusal::Malformed => (400, "Bad Request"),
            Refusal::TimedOut => (408, "Request Timeout"),
            Refusal::LineTooLong => (414, "URI Too Long"),
            Refusal::HeadersTooLarge => (431, "Request Header Fields Too Large"),
            Refusal::VersionNotSupported => (505, "HTTP Version Not Supported"),
        };
        Some(text(status, reason, ""))
    }

    /// The refusal for an I/O error while reading a head that has begun.
    fn after(error: &io::Error) -> Refusal {
        match error.kind() {
            // A read timeout shows as `WouldBlock` on Unix and `TimedOut` on Windows.
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Refusal::TimedOut,
            _ => Refusal::Gone,
        }
    }
}

/// The parts of a request the server acts on.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    method: String,
    target: String,
}

/// How a capped line read ended.
enum Line {
    /// A whole line, `\n` included.
    Complete,
    /// The cap was reached before any `\n`.
    TooLong,
    /// The client closed the connection first.
    Ended,
}

/// Read one line into `buf`, but never more than `cap` bytes: the cap is what stops an endless
/// line from being buffered whole.
fn read_capped<R: BufRead>(r: &mut R, cap: usize, buf: &mut Vec<u8>) -> io::Result<Line> {
    let n = r
        .by_ref()
        .take(u64::try_from(cap).unwrap_or(u64::MAX))
        .read_until(b'\n', buf)?;
    Ok(if buf.ends_with(b"\n") {
        Line::Complete
    } else if n >= cap {
        Line::TooLong
    } else {
        Line::Ended
    })
}

/// Read a request head: the request line (parsed) and the header lines (counted, then dropped;
/// nothing here depends on them). Every byte buffered is within the caps above.
fn read_request<R: BufRead>(r: &mut R) -> Result<Request, Refusal> {
    let mut line = Vec::new();
    match read_capped(r, MAX_REQUEST_LINE, &mut line) {
        Ok(Line::Complete) => {}
        Ok(Line::TooLong) => return Err(Refusal::LineTooLong),
        Ok(Line::Ended) if line.is_empty() => return Err(Refusal::Gone),
        Ok(Line::Ended) => return Err(Refusal::Malformed),
        // `read_until` keeps what it read before the error, so an empty line means the client
        // never sent anything (a browser's unused preconnect, say): close without a word.
        Err(_) if line.is_empty() => return Err(Refusal::Gone),
        Err(e) => return Err(Refusal::after(&e)),
    }
    let request = parse_request_line(&line)?;
    let (mut bytes, mut lines) = (0usize, 0usize);
    loop {
        let mut header = Vec::new();
        match read_capped(r, MAX_HEADER_BYTES.saturating_sub(bytes), &mut header) {
            Ok(Line::Complete) => {}
            Ok(Line::TooLong) => return Err(Refusal::HeadersTooLarge),
            Ok(Line::Ended) => return Err(Refusal::Malformed),
            Err(e) => return Err(Refusal::after(&e)),
        }
        if header == b"\r\n" || header == b"\n" {
            return Ok(request);
        }
        bytes = bytes.saturating_add(header.len());
        lines = lines.saturating_add(1);
        if lines > MAX_HEADER_LINES {
            return Err(Refusal::HeadersTooLarge);
        }
    }
}

/// Parse `METHOD SP TARGET SP HTTP/1.x` (RFC 9112 §3), with or without the line ending. The
/// line must be printable ASCII separated by single spaces; anything else is refused, not
/// guessed at, so odd bytes can neither panic a parse nor reach a response header.
fn parse_request_line(line: &[u8]) -> Result<Request, Refusal> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !line.iter().all(|b| *b == b' ' || b.is_ascii_graphic()) {
        return Err(Refusal::Malformed);
    }
    let text = std::str::from_utf8(line).map_err(|_| Refusal::Malformed)?;
    let mut parts = text.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::Malformed);
    };
    if method.is_empty() || target.is_empty() {
        return Err(Refusal::Malformed);
    }
    match version.strip_prefix("HTTP/") {
        Some("1.0" | "1.1") => Ok(Request {
            method: method.to_owned(),
            target: target.to_owned(),
        }),
        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.') => {
            Err(Refusal::VersionNotSupported)
        }
        _ => Err(Refusal::Malformed),
    }
}

/// A socket whose reads (or writes) must all be done by one instant. A plain socket timeout
/// bounds each read, not their sum; this re-arms the timeout with the time left before every
/// call, so the whole exchange is bounded however the client paces its bytes.
struct Deadline {
    stream: TcpStream,
    until: Instant,
}

impl Deadline {
    fn new(stream: TcpStream, within: Duration) -> Deadline {
        Deadline {
            stream,
            until: Instant::now() + within,
        }
    }

    /// Start a new allowance of `within` from now.
    fn restart(&mut self, within: Duration) {
        self.until = Instant::now() + within;
    }

    /// Time left, or a `TimedOut` error once none is (a zero socket timeout would mean
    /// "wait forever", and std refuses it).
    fn left(&self) -> io::Result<Duration> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(io::Error::new(io::ErrorKind::TimedOut, "deadline passed"))
        } else {
            Ok(left)
        }
    }
}

impl Read for Deadline {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.set_read_timeout(Some(self.left()?))?;
        self.stream.read(buf)
    }
}

impl Write for Deadline {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.set_write_timeout(Some(self.left()?))?;
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// Serve one connection: one request, one response, then close. Closing keeps the server
/// trivially correct (no keep-alive state); on localhost the extra connections cost nothing.
///
/// Before closing we stop writing and read what the client still sends, for at most
/// [`LINGER_TIME`] and [`LINGER_BYTES`]: closing a socket with unread input makes the kernel
/// send a reset, which can destroy a 414 (or a 405 to a POST with a body) before the client
/// has read it. A client closes on its side once it has read the response, which ends the wait.
fn handle(site: &Site, stream: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(Deadline::new(stream.try_clone()?, REQUEST_DEADLINE));
    let request = read_request(&mut reader);
    let mut out = Deadline::new(stream, RESPONSE_DEADLINE);
    match &request {
        Ok(request) => {
            let reply = route_site(site, &request.method, &request.target);
            write_reply(&mut out, &reply, &request.target, request.method == "HEAD")?;
        }
        Err(refusal) => match refusal.reply() {
            Some(reply) => write_reply(&mut out, &reply, "", false)?,
            None => return Ok(()),
        },
    }
    out.stream.shutdown(Shutdown::Write)?;
    reader.get_mut().restart(LINGER_TIME);
    io::copy(&mut reader.take(LINGER_BYTES), &mut io::sink()).map(|_| ())
}

/// Write `reply` as an HTTP/1.1 response for `target`, without the body when `head_only`
/// (the answer to `HEAD`: same headers, `Content-Length` included, no body).
fn write_reply<W: Write>(
    out: &mut W,
    reply: &Reply,
    target: &str,
    head_only: bool,
) -> io::Result<()> {
    // A reply with its own policy (the launch page) carries that one alone: two policies
    // would both apply, the stricter winning.
    let own_policy = reply
        .headers
        .iter()
        .any(|(name, _)| *name == "Content-Security-Policy");
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\
         X-Content-Type-Options: nosniff\r\n\
         Referrer-Policy: no-referrer\r\nCross-Origin-Resource-Policy: same-origin\r\nCache-Control: no-cache\r\n",
        reply.status,
        reply.reason,
        reply.content_type,
        reply.body.len(),
    );
    if !own_policy {
        head.push_str(&format!(
            "Content-Security-Policy: {}\r\n",
            content_security_policy(target)
        ));
    }
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    if !head_only {
        out.write_all(&reply.body)?;
    }
    out.flush()
}

/// Counts the connections being served, so the accept loop can refuse rather than spawn past
/// [`MAX_CONNECTIONS`].
#[derive(Clone)]
struct Slots {
    in_use: Arc<AtomicUsize>,
    max: usize,
}

/// One connection's place in [`Slots`], given back when dropped: however its thread ends,
/// or if the thread never starts.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Slots {
    fn new(max: usize) -> Slots {
        Slots {
            in_use: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }

    /// A slot, or `None` when all `max` are taken.
    fn take(&self) -> Option<Slot> {
        self.in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n.saturating_add(1))
            })
            .ok()
            .map(|_| Slot(Arc::clone(&self.in_use)))
    }
}

/// The answer to a connection beyond [`MAX_CONNECTIONS`].
fn busy() -> Reply {
    let mut r = text(503, "Service Unavailable", "");
    r.headers
        .push(("Retry-After", RETRY_AFTER_SECS.to_string()));
    r
}

/// Answer 503 on the accepting thread without ever blocking it: the socket is made
/// non-blocking, whatever the client has already sent is read and dropped (so closing is less
/// likely to become a reset that loses the answer), and the short answer fits the empty send
/// buffer of a new socket. Best effort: a client that cannot take it just sees the close.
fn refuse_busy(mut stream: TcpStream) {
    if stream.set_nonblocking(true).is_err() {
        return;
    }
    let mut scratch = [0u8; 4096];
    for _ in 0..16 {
        if !matches!(stream.read(&mut scratch), Ok(n) if n > 0) {
            break;
        }
    }
    if write_reply(&mut stream, &busy(), "", false).is_ok() {
        let _ = stream.shutdown(Shutdown::Write);
    }
}

/// Accept connections on `listener` forever, each served on its own thread while fewer than
/// `max_connections` are; beyond that, refused with 503.
fn accept_loop(listener: &TcpListener, site: &Arc<Site>, max_connections: usize) {
    let slots = Slots::new(max_connections);
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(_) => {
                std::thread::sleep(ACCEPT_BACKOFF);
                continue;
            }
        };
        let Some(slot) = slots.take() else {
            refuse_busy(stream);
            continue;
        };
        let site = Arc::clone(site);
        // `Builder::spawn` reports a failure to start a thread where `thread::spawn` would
        // panic; the closure is then dropped, closing the stream and freeing the slot.
        let _ = std::thread::Builder::new()
            .name("bedside-serve".to_owned())
            .spawn(move || {
                let _slot = slot;
                // A client that went away is not our problem; never take the server down for it.
                let _ = handle(&site, stream);
            });
    }
}

/// Serve `root` on `host:port` (port 0 picks a free one; a busy port falls back to the next
/// few, then any free one) until the process ends. Prints the app's URL on stdout once
/// listening. `smart`: the SMART launch configuration to serve (else `static/smart.json` under
/// the root, if there is one); an invalid one stops the server before it starts.
pub fn serve(root: &Path, host: &str, port: u16, smart: Option<&Path>) -> anyhow::Result<()> {
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
    let own = root.join("static").join("smart.json");
    let (smart, config) = match smart {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let config = crate::interop::smart::Config::from_json(&text)
                .with_context(|| format!("{}", path.display()))?;
            (Some(bytes), Some(config))
        }
        None if own.is_file() => {
            let text =
                std::fs::read_to_string(&own).with_context(|| format!("{}", own.display()))?;
            let config = crate::interop::smart::Config::from_json(&text)
                .with_context(|| format!("{}", own.display()))?;
            (None, Some(config))
        }
        None => (None, None),
    };
    let site = Site {
        root,
        smart,
        launch_policy: crate::interop::smart::launch_policy(config.as_ref()),
    };
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
    if let Some(c) = &config {
        println!(
            "SMART launch page: http://{addr}{LAUNCH_PAGE} (redirect URI), for {} FHIR server(s)",
            c.servers.len()
        );
    }
    std::io::stdout().flush().ok();
    accept_loop(&listener, &Arc::new(site), MAX_CONNECTIONS);
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
            (r.status, header(&r, "Location")),
            (302, Some("/www/?bundle=pima.bdsx"))
        );
        let r = route(root, "POST", "/www/");
        assert_eq!((r.status, header(&r, "Allow")), (405, Some("GET, HEAD")));
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
    fn the_launch_page_may_connect_to_the_configured_servers_and_no_other_page_may() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .canonicalize()
            .unwrap();
        let config = crate::interop::smart::Config::from_json(
            r#"{ "client_id": "b", "servers": [{ "iss": "https://ehr.example.org/fhir" }] }"#,
        )
        .unwrap();
        let site = Site {
            root: root.clone(),
            smart: Some(b"{}".to_vec()),
            launch_policy: crate::interop::smart::launch_policy(Some(&config)),
        };
        let page = route_site(&site, "GET", LAUNCH_PAGE);
        assert_eq!(page.status, 200);
        let policy = header(&page, "Content-Security-Policy").unwrap();
        assert!(
            policy.contains("connect-src 'self' https://ehr.example.org;"),
            "{policy}"
        );
        let body = String::from_utf8(page.body).unwrap();
        assert!(
            body.contains("connect-src 'self' https://ehr.example.org; object-src"),
            "the page's own meta tag carries the same origins"
        );
        assert_eq!(route_site(&site, "GET", SMART_CONFIG).body, b"{}");
        // Every other page keeps the policy of our own origin only.
        let index = route_site(&site, "GET", "/www/index.html");
        assert!(header(&index, "Content-Security-Policy").is_none());
        // Without a configuration the launch page connects to nothing but us.
        let plain = route_site(&Site::plain(root), "GET", LAUNCH_PAGE);
        assert!(String::from_utf8(plain.body)
            .unwrap()
            .contains("connect-src 'self'; object-src"));
    }

    #[test]
    fn csp_allows_only_our_origin() {
        assert!(CONTENT_SECURITY_POLICY.contains("default-src 'self'"));
        assert!(CONTENT_SECURITY_POLICY.contains("connect-src 'self'"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
        assert!(!CONTENT_SECURITY_POLICY.contains("'unsafe-eval'"));
    }

    use std::io::Cursor;
    use std::net::SocketAddr;
    use std::time::{SystemTime, UNIX_EPOCH};

    use proptest::prelude::*;

    fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    fn head_of(bytes: &[u8]) -> Result<Request, Refusal> {
        read_request(&mut Cursor::new(bytes.to_vec()))
    }

    fn get(target: &str) -> Result<Request, Refusal> {
        Ok(Request {
            method: "GET".to_owned(),
            target: target.to_owned(),
        })
    }

    /// A directory under the system temp dir, removed when dropped, also when a test fails.
    /// `remove_dir_all` removes symlinks, never what they point to.
    struct TempTree(PathBuf);

    impl TempTree {
        fn new(name: &str) -> TempTree {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let dir = std::env::temp_dir().join(format!(
                "bedside-serve-{name}-{}-{nanos}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            TempTree(dir.canonicalize().unwrap())
        }
    }

    impl Drop for TempTree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A connected pair of loopback sockets: (client, server).
    fn socket_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    /// The accept loop with room for `max` connections, serving this crate, on a free port.
    fn start_server(max: usize) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let root = Arc::new(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .canonicalize()
                .unwrap(),
        );
        let site = Arc::new(Site::plain((*root).clone()));
        std::thread::spawn(move || accept_loop(&listener, &site, max));
        addr
    }

    /// Send `request` on a new connection and read what comes back until the server closes.
    /// Errors end the read quietly: a refused connection may be reset after its answer.
    fn exchange(addr: SocketAddr, request: &[u8]) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let _ = s.write_all(request);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn a_plain_request_head_is_read_and_its_headers_dropped() {
        assert_eq!(
            head_of(b"GET /www/ HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"),
            get("/www/")
        );
        assert_eq!(head_of(b"GET /www/ HTTP/1.0\nHost: x\n\n"), get("/www/"));
    }

    #[test]
    fn a_request_line_longer_than_8_kib_is_refused_with_414() {
        // "GET /" and " HTTP/1.1\r\n" take 16 bytes.
        let line = |n: usize| format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(n));
        let fits = line(MAX_REQUEST_LINE - 16);
        assert_eq!(fits.len(), MAX_REQUEST_LINE + 2);
        assert!(head_of(fits.as_bytes()).is_ok());
        assert_eq!(
            head_of(line(MAX_REQUEST_LINE - 15).as_bytes()),
            Err(Refusal::LineTooLong)
        );
        assert_eq!(Refusal::LineTooLong.reply().map(|r| r.status), Some(414));
    }

    #[test]
    fn an_endless_request_line_is_cut_off_at_the_cap_not_buffered() {
        let mut endless = BufReader::new(io::repeat(b'a'));
        assert_eq!(read_request(&mut endless), Err(Refusal::LineTooLong));
    }

    #[test]
    fn header_lines_beyond_32_kib_are_refused_with_431() {
        let mut endless =
            BufReader::new(Cursor::new(b"GET /www/ HTTP/1.1\r\n".to_vec()).chain(io::repeat(b'h')));
        assert_eq!(read_request(&mut endless), Err(Refusal::HeadersTooLarge));
        // Lines of 509 bytes: 64 fit in 32 KiB, the 65th does not.
        let pad = format!("X-Pad: {}\r\n", "p".repeat(500));
        let head = |n: usize| format!("GET /www/ HTTP/1.1\r\n{}\r\n", pad.repeat(n));
        let most = MAX_HEADER_BYTES / pad.len();
        assert_eq!(head_of(head(most).as_bytes()), get("/www/"));
        assert_eq!(
            head_of(head(most + 1).as_bytes()),
            Err(Refusal::HeadersTooLarge)
        );
        assert_eq!(
            Refusal::HeadersTooLarge.reply().map(|r| r.status),
            Some(431)
        );
    }

    #[test]
    fn more_than_100_header_lines_are_refused_with_431() {
        let head = |n: usize| format!("GET /www/ HTTP/1.1\r\n{}\r\n", "A: b\r\n".repeat(n));
        assert_eq!(head_of(head(MAX_HEADER_LINES).as_bytes()), get("/www/"));
        assert_eq!(
            head_of(head(MAX_HEADER_LINES + 1).as_bytes()),
            Err(Refusal::HeadersTooLarge)
        );
    }

    #[test]
    fn odd_request_lines_are_400_not_guesses_or_panics() {
        for bad in [
            &b"GET\r\n\r\n"[..],
            b"GET /www/\r\n\r\n",
            b"GET  /www/ HTTP/1.1\r\n\r\n",
            b"GET /www/ HTTP/1.1 extra\r\n\r\n",
            b" /www/ HTTP/1.1\r\n\r\n",
            b"GET /www/ FTP/1.1\r\n\r\n",
            b"GET /www/ HTTP/\r\n\r\n",
            b"GET /\xff\xfe HTTP/1.1\r\n\r\n",
            b"\xc3\xa9 /www/ HTTP/1.1\r\n\r\n",
            b"GET /a\tb HTTP/1.1\r\n\r\n",
            b"GET /a\0b HTTP/1.1\r\n\r\n",
            b"GET /a\rb HTTP/1.1\r\n\r\n",
            b"\r\n\r\n",
            b"GET /www/ HTT",
            b"GET /www/ HTTP/1.1\r\nHost: x\r\n",
        ] {
            assert_eq!(
                head_of(bad),
                Err(Refusal::Malformed),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            head_of(b"GET /www/ HTTP/2.0\r\n\r\n"),
            Err(Refusal::VersionNotSupported)
        );
        assert_eq!(head_of(b""), Err(Refusal::Gone));
        assert_eq!(Refusal::Gone.reply().map(|r| r.status), None);
    }

    proptest! {
        #[test]
        fn any_bytes_give_a_printable_request_or_a_refusal(
            bytes in proptest::collection::vec(any::<u8>(), 0..600)
        ) {
            if let Ok(request) = head_of(&bytes) {
                prop_assert!(request.target.bytes().all(|b| b.is_ascii_graphic()));
            }
        }
    }

    #[test]
    fn methods_other_than_get_and_head_are_405() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for method in [
            "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "get", "X",
        ] {
            assert_eq!(
                route(root, method, "/www/index.html").status,
                405,
                "{method}"
            );
        }
        assert_eq!(
            head_of(b"OPTIONS * HTTP/1.1\r\n\r\n")
                .map(|r| route(root, &r.method, &r.target).status),
            Ok(405)
        );
    }

    #[test]
    fn head_gets_the_get_headers_and_no_body() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let target = "/www/index.html";
        let mut head = Vec::new();
        write_reply(&mut head, &route(root, "HEAD", target), target, true).unwrap();
        let mut full = Vec::new();
        write_reply(&mut full, &route(root, "GET", target), target, false).unwrap();
        let body = std::fs::read(root.join("www/index.html")).unwrap();
        assert_eq!([head.as_slice(), body.as_slice()].concat(), full);
        let head = String::from_utf8(head).unwrap();
        assert!(head.contains(&format!("\r\nContent-Length: {}\r\n", body.len())));
        assert!(head.ends_with("\r\n\r\n"));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_cannot_lead_out_of_the_served_directory_they_are_in() {
        use std::os::unix::fs::symlink;
        let outside = TempTree::new("outside");
        let o = &outside.0;
        std::fs::write(o.join("secret.txt"), "secret").unwrap();
        std::fs::create_dir(o.join("dir")).unwrap();
        std::fs::write(o.join("dir/index.html"), "secret").unwrap();
        std::fs::create_dir(o.join("static")).unwrap();
        std::fs::write(o.join("static/app.css"), "body{}").unwrap();
        let site = TempTree::new("site");
        let root = &site.0;
        std::fs::create_dir(root.join("www")).unwrap();
        std::fs::write(root.join("www/index.html"), "<p>ok</p>").unwrap();
        std::fs::write(root.join("Cargo.toml"), "not served").unwrap();
        symlink(o.join("secret.txt"), root.join("www/leak.txt")).unwrap();
        symlink("../Cargo.toml", root.join("www/up.txt")).unwrap();
        symlink(o.join("dir"), root.join("www/dir")).unwrap();
        symlink("../static/app.css", root.join("www/cross.css")).unwrap();
        symlink("/dev/zero", root.join("www/zero.txt")).unwrap();
        symlink("index.html", root.join("www/alias.html")).unwrap();
        // A served directory that is itself a link is the operator's choice, and is followed.
        symlink(o.join("static"), root.join("static")).unwrap();
        for leak in [
            "/www/leak.txt",
            "/www/up.txt",
            "/www/dir/",
            "/www/dir/index.html",
            "/www/cross.css",
            "/www/zero.txt",
        ] {
            assert_eq!(route(root, "GET", leak).status, 404, "{leak}");
        }
        let r = route(root, "GET", "/www/alias.html");
        assert_eq!(
            (r.status, r.content_type),
            (200, "text/html; charset=utf-8")
        );
        assert_eq!(r.body, b"<p>ok</p>");
        assert_eq!(route(root, "GET", "/www/").status, 200);
        assert_eq!(route(root, "GET", "/static/app.css").status, 200);
    }

    #[test]
    fn a_silent_client_is_closed_without_a_word_and_a_stalled_one_gets_408() {
        let (_client, server) = socket_pair();
        let mut reader = BufReader::new(Deadline::new(server, Duration::from_millis(100)));
        assert_eq!(read_request(&mut reader), Err(Refusal::Gone));

        let (mut client, server) = socket_pair();
        client
            .write_all(b"GET /www/ HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        let mut reader = BufReader::new(Deadline::new(server, Duration::from_millis(100)));
        assert_eq!(read_request(&mut reader), Err(Refusal::TimedOut));
        assert_eq!(Refusal::TimedOut.reply().map(|r| r.status), Some(408));
    }

    #[test]
    fn a_trickling_client_is_held_to_one_deadline_not_a_timeout_per_read() {
        let (mut client, server) = socket_pair();
        let trickle = std::thread::spawn(move || {
            for _ in 0..20 {
                if client.write_all(b"G").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(40));
            }
        });
        let started = Instant::now();
        let mut reader = BufReader::new(Deadline::new(server, Duration::from_millis(200)));
        assert_eq!(read_request(&mut reader), Err(Refusal::TimedOut));
        // A per-read timeout would have waited for all 20 bytes (800 ms) and then 200 ms more.
        let took = started.elapsed();
        assert!(took < Duration::from_millis(600), "{took:?}");
        trickle.join().unwrap();
    }

    #[test]
    fn slots_run_out_at_the_cap_and_come_back_when_dropped() {
        let slots = Slots::new(2);
        let (a, b) = (slots.take(), slots.take());
        assert!(a.is_some() && b.is_some());
        assert!(slots.take().is_none());
        drop(a);
        assert!(slots.take().is_some());
    }

    #[test]
    fn connections_beyond_the_cap_get_503_with_retry_after_until_one_ends() {
        let addr = start_server(2);
        let held: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
        // Accepted after the two held ones, which already hold both slots.
        let answer = exchange(addr, b"");
        assert!(
            answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
            "{answer}"
        );
        assert!(answer.contains(&format!("\r\nRetry-After: {RETRY_AFTER_SECS}\r\n")));
        assert!(answer.ends_with("\r\n\r\n"));
        drop(held);
        // Their threads see the close and give the slots back; a HEAD is then served, bodiless.
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let answer = exchange(addr, b"HEAD /www/index.html HTTP/1.1\r\nHost: x\r\n\r\n");
            if answer.starts_with("HTTP/1.1 200 OK\r\n") {
                assert!(answer.ends_with("\r\n\r\n"), "{answer}");
                break;
            }
            assert!(Instant::now() < deadline, "still refused: {answer}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn an_oversized_request_gets_its_414_over_the_wire_not_a_reset() {
        let addr = start_server(4);
        let line = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(2 * MAX_REQUEST_LINE));
        let answer = exchange(addr, line.as_bytes());
        assert!(
            answer.starts_with("HTTP/1.1 414 URI Too Long\r\n"),
            "{answer}"
        );
        let answer = exchange(
            addr,
            b"POST /www/ HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        );
        assert!(answer.starts_with("HTTP/1.1 405 "), "{answer}");
        assert!(answer.contains("\r\nAllow: GET, HEAD\r\n"));
    }
}
