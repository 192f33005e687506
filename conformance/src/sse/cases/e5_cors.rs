//! `E.5`: CORS, checked when `--origin` names the page's origin (WHATWG HTML
//! §9.2.2: the request is a CORS request; Fetch). Without `--origin` these cases
//! say so and are not scored.

use wirecheck_codec::sse::lint::Rule;

use super::super::case::{
    Case, Ctx, Need, Verdict, failed, info, non_strict, ok, response_summary,
};
use super::super::observe::Observation;

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case {
        id: "E.5.1",
        description: "The stream allows the requesting origin",
        rule: "WHATWG SSE §9.2.2 (CORS request) and Fetch: a cross-origin stream without a matching Access-Control-Allow-Origin fails the connection",
        expectation: "Access-Control-Allow-Origin: the origin, or *",
        needs: &[Need::Main],
        check: allow_origin,
    },
    Case {
        id: "E.5.2",
        description: "Credentialed EventSources (withCredentials) are allowed",
        rule: "Fetch: with credentials, Access-Control-Allow-Credentials: true and the exact origin (not *) are required",
        expectation: "Reported: whether withCredentials clients can connect",
        needs: &[Need::Main],
        check: credentials,
    },
    Case {
        id: "E.5.3",
        description: "The CORS preflight for Last-Event-ID is allowed",
        rule: "WHATWG SSE §9.2.4 with Fetch: a reconnect whose id is over 128 bytes or has CORS-unsafe bytes sends a preflight with Access-Control-Request-Headers: last-event-id",
        expectation: "2xx with Access-Control-Allow-Origin and Access-Control-Allow-Headers covering last-event-id",
        needs: &[Need::Preflight, Need::Main],
        check: preflight,
    },
    Case {
        id: "E.5.4",
        description: "The reconnect with Last-Event-ID also allows the origin",
        rule: "Fetch: every response to a cross-origin request needs Access-Control-Allow-Origin, reconnects included",
        expectation: "Access-Control-Allow-Origin on the reconnect's response",
        needs: &[Need::Resume],
        check: reconnect_allows,
    },
];

fn origin<'a>(cx: &'a Ctx<'_>) -> Option<&'a str> {
    cx.settings.origin.as_deref()
}

const NOT_CHECKED: &str = "not checked: run with --origin ORIGIN to check CORS";

/// Whether `o` allows `origin`; the reason when it does not.
fn allows(o: &Observation, origin: &str) -> Result<String, String> {
    let Some(h) = &o.head else {
        return Err(response_summary(o));
    };
    if h.all("access-control-allow-origin").count() > 1 {
        // Fetch: the header must hold exactly one value.
        return Err(format!(
            "Access-Control-Allow-Origin sent {} times: browsers reject it",
            h.all("access-control-allow-origin").count()
        ));
    }
    match h.get("access-control-allow-origin") {
        None => Err(format!(
            "no Access-Control-Allow-Origin for Origin: {origin}: browsers fail the cross-origin connection"
        )),
        Some(v) if v.trim() == origin || v.trim() == "*" => {
            Ok(format!("Access-Control-Allow-Origin: {}", v.trim()))
        }
        Some(v) => Err(format!(
            "Access-Control-Allow-Origin: {v} does not match Origin: {origin}"
        )),
    }
}

fn allow_origin(cx: &Ctx<'_>) -> Verdict {
    let Some(origin) = origin(cx) else {
        return info(NOT_CHECKED);
    };
    match allows(cx.main(), origin) {
        Ok(why) => ok(why),
        Err(why) => failed(why),
    }
}

fn credentials(cx: &Ctx<'_>) -> Verdict {
    let Some(origin) = origin(cx) else {
        return info(NOT_CHECKED);
    };
    let Some(h) = &cx.main().head else {
        return failed(response_summary(cx.main()));
    };
    let acao = h.get("access-control-allow-origin").map(str::trim);
    let acac = h.get("access-control-allow-credentials").map(str::trim);
    match (acao, acac) {
        (Some(a), Some("true")) if a == origin => {
            ok("credentialed: Access-Control-Allow-Credentials: true with the exact origin")
        }
        (Some("*"), _) => info(
            "Access-Control-Allow-Origin: *: withCredentials EventSources fail (credentials need the exact origin)",
        ),
        _ => info("no Access-Control-Allow-Credentials: true: withCredentials EventSources fail"),
    }
}

fn preflight(cx: &Ctx<'_>) -> Verdict {
    let Some(origin) = origin(cx) else {
        return info(NOT_CHECKED);
    };
    let Some(o) = &cx.obs.preflight else {
        return info("not observed");
    };
    let needed = cx
        .obs
        .main
        .as_ref()
        .is_some_and(|m| m.lint.count(Rule::IdLong) + m.lint.count(Rule::IdCorsUnsafe) > 0);
    let problem = match &o.head {
        None => Some(response_summary(o)),
        Some(h) if !(200..300).contains(&h.status) => Some(format!("status {}", h.status)),
        Some(h) => match allows(o, origin) {
            Err(why) => Some(why),
            // Fetch: `Access-Control-Allow-Headers` is a list of field names;
            // one the browser cannot parse fails the CORS check.
            Ok(_) => match h.tokens("access-control-allow-headers") {
                Err(why) => Some(why),
                Ok(allowed) => {
                    let credentialed = h
                        .get("access-control-allow-credentials")
                        .is_some_and(|v| v.trim() == "true");
                    if allowed.iter().any(|m| m == "last-event-id")
                        || (!credentialed && allowed.iter().any(|m| m == "*"))
                    {
                        None
                    } else {
                        Some(format!(
                            "Access-Control-Allow-Headers: {} does not cover last-event-id",
                            if allowed.is_empty() {
                                "(none)".to_owned()
                            } else {
                                allowed.join(", ")
                            }
                        ))
                    }
                }
            },
        },
    };
    match (problem, needed) {
        (None, _) => ok("the preflight allows last-event-id"),
        (Some(p), true) => failed(format!(
            "the stream's ids need a preflight (over 128 bytes or CORS-unsafe, see E.2.7) but it fails: {p}"
        )),
        (Some(p), false) => non_strict(format!(
            "the preflight for last-event-id fails ({p}); the ids seen are short and CORS-safe, so it is not needed yet"
        )),
    }
}

fn reconnect_allows(cx: &Ctx<'_>) -> Verdict {
    let Some(origin) = origin(cx) else {
        return info(NOT_CHECKED);
    };
    let Some((_, second)) = &cx.obs.resume else {
        return info("not observed");
    };
    let Some((_, o)) = second else {
        return info("no reconnect made: the stream carried no id (see E.4.2)");
    };
    match allows(o, origin) {
        Ok(why) => ok(why),
        Err(why) => failed(format!("on the reconnect: {why}")),
    }
}
