//! The deployer's SMART on FHIR configuration (`static/smart.json`): which FHIR servers
//! (issuers) the launch page may talk to, under which client id, and whether saving a
//! RiskAssessment to the record is offered. The launch page refuses any other `iss` before a
//! redirect; the Content-Security-Policy of the launch page ([`launch_policy`]) allows exactly
//! these origins and nothing else, so even a bug in the page could not reach another server.
//!
//! ```json
//! { "client_id": "bedside",
//!   "servers": [{ "iss": "https://ehr.example.org/fhir/r4", "name": "Example EHR",
//!                 "origins": ["https://auth.example.org"] }],
//!   "save": false }
//! ```
//! `origins` lists the other origins the server's SMART configuration points to (an
//! authorization server on its own host); the issuer's own origin is always allowed. An `iss`
//! ending in `/*` trusts every issuer under that path (the public SMART launcher's EHR launch
//! sends `https://launch.smarthealthit.org/v/r4/fhir`, its standalone base URLs encode their
//! settings in the path: `…/v/r4/sim/<settings>/fhir`, trusted with `…/v/r4/sim/*`);
//! such an entry cannot be chosen for a standalone launch, which needs one concrete server.

use serde::Deserialize;

use crate::error::{Error, Result};

/// One FHIR server the app may be launched from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// The FHIR base URL, exactly as the EHR sends it as `iss` (or a path prefix ending in
    /// `/*`).
    pub iss: String,
    /// Shown on the standalone launch's list.
    #[serde(default)]
    pub name: Option<String>,
    /// Further origins its authorization and token endpoints live on.
    #[serde(default)]
    pub origins: Vec<String>,
    /// This server's client id for Bedside, when it differs from the default.
    #[serde(default)]
    pub client_id: Option<String>,
}

/// The launch configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The client id the EHRs registered Bedside under.
    pub client_id: String,
    /// The trusted servers.
    pub servers: Vec<Server>,
    /// Offer "Save the estimate to the record" (asks for the RiskAssessment create scope).
    #[serde(default)]
    pub save: bool,
}

/// The origin of an absolute URL (`scheme://host[:port]`, lower-cased), refusing what a
/// server list must not hold: anything but `https`, `http` other than on loopback, user
/// information, an empty host.
pub fn origin(url: &str) -> Result<String> {
    let bad = |why: &str| Err(Error::Config(format!("`{url}`: {why}")));
    let Some((scheme, rest)) = url.split_once("://") else {
        return bad("not an absolute URL (https://host/…)");
    };
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        return bad("no host");
    }
    if authority.contains('@') {
        return bad("user information in a server URL is not accepted");
    }
    let authority = authority.to_ascii_lowercase();
    if authority
        .chars()
        .any(|c| c.is_whitespace() || c == '\'' || c == ';' || c == ',' || c == '"')
    {
        return bad("not a valid host");
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6
            .split(']')
            .next()
            .map(|h| format!("[{h}]"))
            .unwrap_or_default(),
        None => authority.split(':').next().unwrap_or("").to_string(),
    };
    let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
    match scheme.as_str() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return bad(
                "plain http is accepted only for a loopback host (local testing); use https",
            )
        }
        _ => return bad("only https (or http on loopback) is accepted"),
    }
    Ok(format!("{scheme}://{authority}"))
}

impl Config {
    /// Read and check a configuration: every URL absolute and safe ([`origin`]), a client id,
    /// no server twice.
    pub fn from_json(text: &str) -> Result<Config> {
        let config: Config =
            serde_json::from_str(text).map_err(|e| Error::Config(format!("smart.json: {e}")))?;
        if config.client_id.trim().is_empty() {
            return Err(Error::Config("smart.json: `client_id` is empty".into()));
        }
        for (i, s) in config.servers.iter().enumerate() {
            origin(&s.iss)?;
            if let Some(prefix) = s.iss.strip_suffix('*') {
                let path = prefix.split_once("://").map_or("", |(_, rest)| rest);
                if !prefix.ends_with('/') || !path.contains('/') || prefix.contains('*') {
                    return Err(Error::Config(format!(
                        "smart.json: `{}`: a wildcard issuer is a path prefix ending in `/*` \
                         (https://host/path/*)",
                        s.iss
                    )));
                }
            }
            for o in &s.origins {
                origin(o)?;
            }
            if config
                .servers
                .iter()
                .skip(i + 1)
                .any(|t| t.iss.trim_end_matches('/') == s.iss.trim_end_matches('/'))
            {
                return Err(Error::Config(format!(
                    "smart.json: server `{}` is listed twice",
                    s.iss
                )));
            }
        }
        Ok(config)
    }

    /// Every origin the launch page may connect to besides its own, once each.
    pub fn origins(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.servers {
            for url in std::iter::once(&s.iss).chain(&s.origins) {
                if let Ok(o) = origin(url) {
                    if !out.contains(&o) {
                        out.push(o);
                    }
                }
            }
        }
        out
    }
}

/// The launch page's Content-Security-Policy: the app's own policy with `connect-src` opened to
/// the configured servers' origins and nothing else (`'self'` only without a configuration),
/// and `frame-ancestors` to the same origins, since an EHR may show the app in a frame of its
/// own page.
pub fn launch_policy(config: Option<&Config>) -> String {
    let connect = std::iter::once("'self'".to_string())
        .chain(config.map(Config::origins).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src {connect}; object-src 'none'; \
         base-uri 'none'; form-action 'none'; frame-ancestors {connect}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_https_or_loopback_http_and_nothing_else() {
        assert_eq!(
            origin("https://EHR.example.org/fhir/r4").unwrap(),
            "https://ehr.example.org"
        );
        assert_eq!(
            origin("http://127.0.0.1:9000/fhir").unwrap(),
            "http://127.0.0.1:9000"
        );
        assert_eq!(origin("http://[::1]:8080").unwrap(), "http://[::1]:8080");
        for (bad, why) in [
            ("http://ehr.example.org/fhir", "loopback"),
            ("ftp://x.org", "only https"),
            ("ehr.example.org/fhir", "absolute"),
            ("https://user@ehr.example.org", "user information"),
            ("https://a.org;script-src *", "valid host"),
            ("https:///fhir", "no host"),
        ] {
            let e = origin(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn the_policy_allows_exactly_the_configured_origins() {
        assert!(launch_policy(None).contains("connect-src 'self';"));
        let c = Config::from_json(
            r#"{ "client_id": "bedside", "servers": [
                { "iss": "https://ehr.example.org/fhir/r4", "origins": ["https://auth.example.org"] },
                { "iss": "https://ehr.example.org/fhir/other/" } ] }"#,
        )
        .unwrap();
        assert_eq!(
            c.origins(),
            vec!["https://ehr.example.org", "https://auth.example.org"]
        );
        let p = launch_policy(Some(&c));
        assert!(
            p.contains("connect-src 'self' https://ehr.example.org https://auth.example.org;"),
            "{p}"
        );
        for bad in [
            r#"{ "client_id": "", "servers": [] }"#,
            r#"{ "client_id": "b", "servers": [{ "iss": "http://ehr.example.org" }] }"#,
            r#"{ "client_id": "b", "servers": [{ "iss": "https://a.org" }, { "iss": "https://a.org/" }] }"#,
            r#"{ "client_id": "b", "servers": [], "extra": 1 }"#,
            "not json",
        ] {
            assert!(Config::from_json(bad).is_err(), "{bad}");
        }
        let sim = Config::from_json(
            r#"{ "client_id": "b", "servers": [{ "iss": "https://launch.smarthealthit.org/v/r4/sim/*" }] }"#,
        )
        .unwrap();
        assert_eq!(sim.origins(), vec!["https://launch.smarthealthit.org"]);
        for bad in [
            "https://launch.smarthealthit.org*",
            "https://a.org/x*",
            "https://a.org/*/b/*",
        ] {
            let text = format!(r#"{{ "client_id": "b", "servers": [{{ "iss": "{bad}" }}] }}"#);
            assert!(Config::from_json(&text).is_err(), "{bad}");
        }
    }
}
