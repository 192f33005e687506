//! `--origin-policy any|same|LIST` (DESIGN §3) and the `Origin` of the S.1
//! cases. A browser sends the page's origin with every WebSocket request
//! (RFC 6455 §4.1 item 8, §10.2) and sends the user's cookies whatever the
//! origin: a server that authenticates by cookie and accepts any `Origin` lets
//! every web page act as its user (cross-site WebSocket hijacking). Whether a
//! server must refuse an origin is its operator's policy, which wirecheck
//! cannot guess; the flag states it, and the S.1 cases are resolved against
//! it and the target once, before the run. Without the flag they are
//! INFORMATIONAL: the report says which origins the server accepted.

use super::case::{Case, Expect, OriginProbe, Scoring};
use crate::net::Target;

/// Which origins the server is meant to accept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OriginPolicy {
    /// Not stated: the S.1 cases report what the server does.
    #[default]
    Unstated,
    /// Any origin (a public API, no cookies): every S.1 request must be accepted.
    Any,
    /// Only the target's own origin (`ws://h:p` → `http://h:p`).
    Same,
    /// Only these serialized origins (RFC 6454 §6.2), the first one used as
    /// the allowed origin the cases send.
    List(Vec<String>),
}

/// The foreign origin the cases send: `.invalid` is reserved (RFC 2606 §2),
/// so it is nobody's site.
pub const FOREIGN: &str = "https://wirecheck.invalid";

impl OriginPolicy {
    /// Parse the flag's value: `any`, `same`, or a comma-separated list of
    /// serialized origins (`https://app.example.com,https://example.com:8443`).
    pub fn parse(value: &str) -> Result<OriginPolicy, String> {
        match value {
            "any" => return Ok(OriginPolicy::Any),
            "same" => return Ok(OriginPolicy::Same),
            _ => {}
        }
        let mut list = Vec::new();
        for entry in value.split(',').map(str::trim) {
            let url = url::Url::parse(entry).map_err(|e| {
                format!("--origin-policy: {entry:?} is not any, same or an origin such as https://example.com ({e})")
            })?;
            let serialized = url.origin().ascii_serialization();
            // RFC 6454 §6.2: scheme, host and port only, lower case, no
            // default port, no path.
            if serialized != entry || !matches!(url.scheme(), "http" | "https") {
                return Err(format!(
                    "--origin-policy: {entry:?} is not a serialized http(s) origin (scheme://host[:port], nothing after it){}",
                    if serialized == "null" {
                        String::new()
                    } else {
                        format!("; did you mean {serialized:?}?")
                    }
                ));
            }
            if entry == FOREIGN {
                return Err(format!(
                    "--origin-policy: {FOREIGN} is the foreign origin the S.1 cases send"
                ));
            }
            list.push(serialized);
        }
        Ok(OriginPolicy::List(list))
    }

    /// How the flag reads, for the reports.
    pub fn describe(&self) -> String {
        match self {
            OriginPolicy::Unstated => "not stated".into(),
            OriginPolicy::Any => "any".into(),
            OriginPolicy::Same => "same".into(),
            OriginPolicy::List(l) => l.join(","),
        }
    }
}

/// The target's own origin (RFC 6454 §4): the scheme a page served from the
/// same host and port would have, and the `Host` the request carries.
pub fn target_origin(target: &Target) -> String {
    let scheme = if target.tls { "https" } else { "http" };
    format!("{scheme}://{}", target.host_header.to_ascii_lowercase())
}

/// The allowed origin with its host as the first label of a foreign domain.
fn look_alike(allowed: &str) -> String {
    match url::Url::parse(allowed) {
        Ok(u) => format!(
            "{}://{}.wirecheck.invalid{}",
            u.scheme(),
            u.host_str().unwrap_or("localhost"),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => "https://localhost.wirecheck.invalid".into(),
    }
}

/// Set the `Origin`, the expectation and the scoring of every S.1 case in
/// `cases` from `policy` and the `target`.
pub fn resolve(cases: &mut [Case], policy: &OriginPolicy, target: &Target) {
    let allowed = match policy {
        OriginPolicy::List(l) if !l.is_empty() => l[0].clone(),
        _ => target_origin(target),
    };
    for case in cases.iter_mut() {
        let Some(spec) = case.opening.as_mut() else {
            continue;
        };
        let Some(probe) = spec.origin else {
            continue;
        };
        let value = match probe {
            OriginProbe::Foreign => FOREIGN.to_owned(),
            OriginProbe::Null => "null".to_owned(),
            OriginProbe::LookAlike => look_alike(&allowed),
            OriginProbe::Allowed => allowed.clone(),
        };
        spec.set.retain(|(n, _)| !n.eq_ignore_ascii_case("Origin"));
        spec.set.push(("Origin".into(), value.clone()));
        let must_accept = match policy {
            OriginPolicy::Unstated => None,
            OriginPolicy::Any => Some(true),
            OriginPolicy::Same | OriginPolicy::List(_) => Some(probe == OriginProbe::Allowed),
        };
        let rule = match must_accept {
            None => {
                spec.expect = Expect::Refuse;
                case.scoring = Scoring::Informational;
                "No --origin-policy was given: INFORMATIONAL, the report says whether the server accepted it".to_owned()
            }
            Some(accept) => {
                spec.expect = if accept {
                    Expect::Accept
                } else {
                    Expect::Refuse
                };
                case.scoring = Scoring::Standard;
                format!(
                    "Under --origin-policy {}, the server must {} it",
                    policy.describe(),
                    if accept { "accept" } else { "refuse" }
                )
            }
        };
        case.expectation = format!(
            "{} This run sent Origin: {value}. {rule}.",
            case.expectation
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        Target::parse(url).expect("a valid URL")
    }

    #[test]
    fn policies_parse_and_bad_ones_say_why() {
        assert_eq!(OriginPolicy::parse("any"), Ok(OriginPolicy::Any));
        assert_eq!(OriginPolicy::parse("same"), Ok(OriginPolicy::Same));
        assert_eq!(
            OriginPolicy::parse("https://a.example,http://b.example:8080"),
            Ok(OriginPolicy::List(vec![
                "https://a.example".into(),
                "http://b.example:8080".into()
            ]))
        );
        for (bad, why) in [
            ("https://a.example/", "did you mean \"https://a.example\""),
            ("https://A.example", "did you mean \"https://a.example\""),
            (
                "https://a.example:443",
                "did you mean \"https://a.example\"",
            ),
            ("a.example", "is not any, same or an origin"),
            ("ftp://a.example", "serialized http(s) origin"),
            ("https://wirecheck.invalid", "the foreign origin"),
        ] {
            let e = OriginPolicy::parse(bad).expect_err(bad);
            assert!(e.contains(why), "{bad}: {e}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }

    #[test]
    fn the_target_origin_follows_the_scheme_and_host_header() {
        assert_eq!(
            target_origin(&target("ws://127.0.0.1:9001/chat")),
            "http://127.0.0.1:9001"
        );
        assert_eq!(
            target_origin(&target("wss://Example.COM/")),
            "https://example.com"
        );
        assert_eq!(
            look_alike("http://127.0.0.1:9001"),
            "http://127.0.0.1.wirecheck.invalid:9001"
        );
    }

    #[test]
    fn cases_resolve_per_policy() {
        let t = target("ws://127.0.0.1:9001/");
        let s1 = || -> Vec<Case> {
            crate::ws::cases::all()
                .into_iter()
                .filter(|c| c.opening.as_ref().is_some_and(|s| s.origin.is_some()))
                .collect()
        };
        let origin = |c: &Case| {
            c.opening
                .as_ref()
                .unwrap()
                .set
                .iter()
                .find(|(n, _)| n == "Origin")
                .unwrap()
                .1
                .clone()
        };
        let expect = |c: &Case| c.opening.as_ref().unwrap().expect;

        let mut unstated = s1();
        assert!(unstated.len() >= 4);
        resolve(&mut unstated, &OriginPolicy::Unstated, &t);
        for c in &unstated {
            assert_eq!(c.scoring, Scoring::Informational, "{}", c.id);
        }

        let mut same = s1();
        resolve(&mut same, &OriginPolicy::Same, &t);
        let by_probe = |cases: &[Case], p: OriginProbe| {
            cases
                .iter()
                .find(|c| c.opening.as_ref().unwrap().origin == Some(p))
                .cloned()
                .unwrap()
        };
        let allowed = by_probe(&same, OriginProbe::Allowed);
        assert_eq!(origin(&allowed), "http://127.0.0.1:9001");
        assert_eq!(expect(&allowed), Expect::Accept);
        for p in [
            OriginProbe::Foreign,
            OriginProbe::Null,
            OriginProbe::LookAlike,
        ] {
            let c = by_probe(&same, p);
            assert_eq!(expect(&c), Expect::Refuse, "{}", c.id);
            assert_eq!(c.scoring, Scoring::Standard, "{}", c.id);
            assert!(c.expectation.contains("must refuse"), "{}", c.expectation);
        }
        assert_eq!(origin(&by_probe(&same, OriginProbe::Null)), "null");

        let mut list = s1();
        resolve(
            &mut list,
            &OriginPolicy::List(vec!["https://app.example".into()]),
            &t,
        );
        assert_eq!(
            origin(&by_probe(&list, OriginProbe::Allowed)),
            "https://app.example"
        );
        assert_eq!(
            origin(&by_probe(&list, OriginProbe::LookAlike)),
            "https://app.example.wirecheck.invalid"
        );

        let mut any = s1();
        resolve(&mut any, &OriginPolicy::Any, &t);
        assert!(any.iter().all(|c| expect(c) == Expect::Accept));
    }
}
