//! Autobahn's fuzzingserver URL protocol: which request-target asks for what
//! (autobahn.md §8; `FuzzingServerProtocol.onConnect` in Autobahn|Testsuite
//! 25.10.1). A client driver written for the original connects to these
//! paths, so they are read exactly as the original reads them:
//!
//! * the query is form-decoded (`+` is a space, `%XX` a byte) and empty values
//!   count as absent, as Python's `parse_qs` does;
//! * `case=N` is the 1-based position in the sorted selection, `casetuple=1.2.3`
//!   a case id (surrounding whitespace ignored); `case` wins over `casetuple`;
//! * a parameter given twice, a `case` that is not a number or out of range, a
//!   `casetuple` not in the selection, and a missing `case` or `agent` where the
//!   path needs one are refused. The original refuses with
//!   `500 Internal Server Error` (its exception reaches the handshake), and so
//!   does wirecheck, with the original's message as the reason phrase and body.
//!
//! Only the original's "direct command mode" (any other path: JSON commands
//! that make the fuzzer send frames) is not offered; such a path is refused
//! with 404 and the list of paths that exist.

use url::form_urlencoded;

/// The longest agent name accepted: it names report files.
pub const MAX_AGENT: usize = 128;

/// What a connection to the fuzzing server asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/getCaseCount`: one text message with the number of selected cases.
    CaseCount,
    /// `/runCase`: run the case at this 0-based index for `agent`.
    RunCase {
        /// The index into the sorted selection.
        index: usize,
        /// The client's name in the reports.
        agent: String,
    },
    /// `/getCaseInfo`: one text message `{"id": .., "description": ..}`.
    CaseInfo {
        /// The index into the sorted selection.
        index: usize,
    },
    /// `/getCaseStatus`: one text message `{"behavior": ..}` once the case has run.
    CaseStatus {
        /// The index into the sorted selection.
        index: usize,
        /// Whose result.
        agent: String,
    },
    /// `/updateReports`: write the reports of every agent seen so far.
    UpdateReports {
        /// The agent asking (required by the original, though all are written).
        agent: String,
        /// `shutdownOnComplete=true|yes`: stop serving once they are written.
        shutdown: bool,
    },
    /// `/stopServer`: stop serving.
    StopServer,
}

/// Why a request-target is refused: the HTTP status and the one-line reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 500 for the original's errors, 404 for a path it would treat as a command.
    pub status: u16,
    /// What was wrong.
    pub reason: String,
}

fn refuse(reason: impl Into<String>) -> Refusal {
    Refusal {
        status: 500,
        reason: reason.into(),
    }
}

/// The one value of parameter `name`, if given (non-empty); `Err` if given twice.
fn single(params: &[(String, String)], name: &str, twice: &str) -> Result<Option<String>, Refusal> {
    let mut values = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
    let first = values.next().cloned();
    if values.next().is_some() {
        return Err(refuse(twice));
    }
    Ok(first)
}

/// Python's `int()` on a query value (optional whitespace and sign, ASCII
/// digits): the number, or `None` for one too large for any selection (it is
/// out of range), with how Python prints it; `Err` if it is no number.
fn python_int(s: &str) -> Result<(Option<i64>, String), ()> {
    let t = s.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    match t.parse::<i64>() {
        Ok(n) => Ok((Some(n), n.to_string())),
        Err(_) => Ok((None, t.trim_start_matches('+').to_owned())),
    }
}

/// Route the request-target `target` of a connection, `ids` being the selected
/// case ids in order.
pub fn route(target: &str, ids: &[String]) -> Result<Route, Refusal> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let agent = single(&params, "agent", "multiple agents specified")?;
    if let Some(a) = &agent {
        if a.len() > MAX_AGENT || a.chars().any(char::is_control) {
            return Err(refuse(format!(
                "invalid agent: at most {MAX_AGENT} bytes and no control characters"
            )));
        }
    }
    let mut case: Option<(Option<i64>, String)> = None;
    if let Some(t) = single(&params, "casetuple", "multiple test cases specified")? {
        let t = t.trim();
        match ids.iter().position(|id| id == t) {
            Some(i) => case = Some((Some(i as i64 + 1), (i + 1).to_string())),
            None => return Err(refuse(format!("invalid test case tuple {t}"))),
        }
    }
    if let Some(c) = single(&params, "case", "multiple test cases specified")? {
        match python_int(&c) {
            Ok(n) => case = Some(n),
            Err(()) => return Err(refuse(format!("invalid test case ID {c}"))),
        }
    }
    let shutdown = match single(
        &params,
        "shutdownOnComplete",
        "shutdownOnComplete only supports a single Boolean value",
    )? {
        Some(v) => matches!(v.to_lowercase().as_str(), "true" | "yes"),
        None => false,
    };
    // The original: `if self.case:` (0 is no case), then a range check.
    let index = match case {
        None | Some((Some(0), _)) => None,
        Some((Some(n), _)) if n >= 1 && (n as u64) <= ids.len() as u64 => Some(n as usize - 1),
        Some((_, shown)) => return Err(refuse(format!("case {shown} not found"))),
    };
    match path {
        "/runCase" => {
            let index = index.ok_or_else(|| refuse("need case to run"))?;
            let agent = agent.ok_or_else(|| refuse("need agent to run case"))?;
            Ok(Route::RunCase { index, agent })
        }
        "/updateReports" => {
            let agent = agent.ok_or_else(|| refuse("need agent to update reports for"))?;
            Ok(Route::UpdateReports { agent, shutdown })
        }
        "/getCaseInfo" => {
            let index = index.ok_or_else(|| refuse("need case to get info"))?;
            Ok(Route::CaseInfo { index })
        }
        "/getCaseStatus" => {
            let index = index.ok_or_else(|| refuse("need case to get status"))?;
            let agent = agent.ok_or_else(|| refuse("need agent to get status"))?;
            Ok(Route::CaseStatus { index, agent })
        }
        "/getCaseCount" => Ok(Route::CaseCount),
        "/stopServer" => Ok(Route::StopServer),
        _ => Err(Refusal {
            status: 404,
            reason: "no such path: the fuzzing server answers /getCaseCount, /runCase, \
                     /getCaseInfo, /getCaseStatus, /updateReports and /stopServer"
                .to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Vec<String> {
        ["1.1.1", "1.1.2", "2.1", "10.1.1"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    }

    fn ok(target: &str) -> Route {
        route(target, &ids()).unwrap_or_else(|e| panic!("{target}: {e:?}"))
    }

    fn err(target: &str) -> (u16, String) {
        let e = route(target, &ids()).expect_err(target);
        (e.status, e.reason)
    }

    #[test]
    fn the_paths_of_a_client_driver_route_as_in_the_original() {
        assert_eq!(ok("/getCaseCount"), Route::CaseCount);
        assert_eq!(
            ok("/runCase?case=3&agent=tungstenite"),
            Route::RunCase {
                index: 2,
                agent: "tungstenite".into()
            }
        );
        // casetuple names the id; `+` and %XX are decoded in every value.
        assert_eq!(
            ok("/runCase?casetuple=%2010.1.1+&agent=my+client%21"),
            Route::RunCase {
                index: 3,
                agent: "my client!".into()
            }
        );
        // case wins over casetuple, as in the original (read after it).
        assert_eq!(
            ok("/runCase?casetuple=1.1.1&case=2&agent=a"),
            Route::RunCase {
                index: 1,
                agent: "a".into()
            }
        );
        assert_eq!(ok("/getCaseInfo?case=1"), Route::CaseInfo { index: 0 });
        assert_eq!(
            ok("/getCaseStatus?case=4&agent=a"),
            Route::CaseStatus {
                index: 3,
                agent: "a".into()
            }
        );
        assert_eq!(
            ok("/updateReports?agent=a&shutdownOnComplete=Yes"),
            Route::UpdateReports {
                agent: "a".into(),
                shutdown: true
            }
        );
        assert_eq!(
            ok("/updateReports?agent=a"),
            Route::UpdateReports {
                agent: "a".into(),
                shutdown: false
            }
        );
        assert_eq!(ok("/stopServer"), Route::StopServer);
    }

    #[test]
    fn bad_parameters_get_the_originals_errors_with_500() {
        for (target, reason) in [
            ("/runCase?case=1", "need agent to run case"),
            // An empty value is no value (Python's parse_qs).
            ("/runCase?case=1&agent=", "need agent to run case"),
            ("/runCase?agent=a", "need case to run"),
            // case=0 is no case (`if self.case:`).
            ("/runCase?case=0&agent=a", "need case to run"),
            ("/runCase?case=5&agent=a", "case 5 not found"),
            ("/runCase?case=-1&agent=a", "case -1 not found"),
            ("/runCase?case=x&agent=a", "invalid test case ID x"),
            (
                "/runCase?case=1&case=2&agent=a",
                "multiple test cases specified",
            ),
            (
                "/runCase?case=1&agent=a&agent=b",
                "multiple agents specified",
            ),
            (
                "/runCase?casetuple=9.9.9&agent=a",
                "invalid test case tuple 9.9.9",
            ),
            ("/updateReports", "need agent to update reports for"),
            ("/getCaseInfo", "need case to get info"),
            ("/getCaseStatus?case=1", "need agent to get status"),
            ("/getCaseStatus?agent=a", "need case to get status"),
            (
                "/updateReports?agent=a&shutdownOnComplete=1&shutdownOnComplete=2",
                "shutdownOnComplete only supports a single Boolean value",
            ),
        ] {
            assert_eq!(err(target), (500, reason.to_owned()), "{target}");
        }
    }

    #[test]
    fn an_unknown_path_is_404_and_a_hostile_agent_is_refused() {
        assert_eq!(err("/").0, 404);
        assert_eq!(err("/runcase?case=1&agent=a").0, 404);
        let long = format!("/runCase?case=1&agent={}", "a".repeat(MAX_AGENT + 1));
        assert!(err(&long).1.contains("invalid agent"));
        assert!(
            err("/runCase?case=1&agent=a%0Ab")
                .1
                .contains("invalid agent")
        );
        // A number too large for any integer type is out of range, not a panic.
        assert_eq!(
            err("/runCase?case=99999999999999999999999&agent=a").1,
            "case 99999999999999999999999 not found"
        );
    }
}
