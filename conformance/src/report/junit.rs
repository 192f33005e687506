//! `junit.xml` (DESIGN §6), written with `quick-junit` so CI systems show a run
//! like any test run: one `testsuite` per category, one `testcase` per case
//! named `<id> <description>`, timed by the case's duration.
//!
//! A case has a `failure` when it fails the run ([`CaseReport::fails`]):
//! `behavior` FAILED (or NON-STRICT under `--strict`), or `behaviorClose`
//! FAILED, WRONG CODE, UNCLEAN or FAILED BY CLIENT; the message is the one-line
//! reason, the type the verdicts, and the text both verdicts with their
//! reasons. UNIMPLEMENTED cases are `skipped`. Every
//! case carries both verdicts and reasons in `system-out`; a case without a
//! close verdict (SSE) carries only `behavior`, and nothing of a close. quick-junit escapes
//! the text and drops characters XML cannot hold, so hostile reasons are safe.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, SerializeError, TestCase, TestCaseStatus, TestSuite};

use super::{Behavior, CaseReport, Run};

/// The one-line failure message and its type for a failing case.
fn failure(case: &CaseReport, strict: bool) -> (String, String) {
    match (case.behavior_fails(strict), &case.close) {
        (true, Some(close)) if case.close_fails() => (
            format!("{}; close: {}", case.result, close.result),
            format!(
                "{}, close {}",
                case.behavior.as_str(),
                close.behavior.as_str()
            ),
        ),
        (false, Some(close)) if case.close_fails() => (
            close.result.clone(),
            format!("close {}", close.behavior.as_str()),
        ),
        _ => (case.result.clone(), case.behavior.as_str().to_owned()),
    }
}

fn test_case(case: &CaseReport, suite: &str, strict: bool) -> TestCase {
    let mut reasons = format!("behavior: {}: {}\n", case.behavior.as_str(), case.result);
    if let Some(close) = &case.close {
        reasons.push_str(&format!(
            "behaviorClose: {}: {}\n",
            close.behavior.as_str(),
            close.result
        ));
    }
    let status = if case.fails(strict) {
        let (message, ty) = failure(case, strict);
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(message)
            .set_type(ty)
            .set_description(reasons.as_str());
        status
    } else if case.behavior == Behavior::Unimplemented {
        let mut status = TestCaseStatus::skipped();
        status
            .set_message(case.result.as_str())
            .set_type("UNIMPLEMENTED");
        status
    } else {
        TestCaseStatus::success()
    };
    let mut tc = TestCase::new(format!("{} {}", case.id, case.description), status);
    tc.set_classname(suite)
        .set_time(Duration::from_millis(case.duration_ms))
        .set_system_out(reasons);
    tc
}

/// The JUnit report of `run`.
pub fn report(run: &Run) -> Report {
    let clients = if run.client { "clients " } else { "" };
    let mut report = Report::new(format!(
        "wirecheck {clients}{} {}",
        run.kind.as_str(),
        run.agent
    ));
    report.set_time(run.wall_time);
    for (category, name, cases) in run.categories() {
        let suite_name = format!("{category} {name}");
        let mut suite = TestSuite::new(suite_name.as_str());
        suite.set_time(Duration::from_millis(
            cases.iter().map(|c| c.duration_ms).sum(),
        ));
        suite.add_test_cases(cases.iter().map(|c| test_case(c, &suite_name, run.strict)));
        report.add_test_suite(suite);
    }
    report
}

/// The text of `junit.xml`.
pub fn render(run: &Run) -> Result<String, SerializeError> {
    report(run).to_string()
}
