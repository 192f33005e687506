//! Selecting cases and running them: concurrently where timing allows, one at a
//! time where it does not, so the verdicts never depend on `-j`.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::bounds::RunBudget;
use super::case::{Case, Step};
use super::engine::{EngineConfig, Target, run_case};
use super::result::CaseResult;
use super::slots::{Slots, Work};
use crate::core::select_by;
use crate::core::{Behavior, BehaviorClose};

/// The cases selected by `include` (all when empty) minus `exclude`. A pattern
/// that selects nothing is an error: a typo must not silently shrink a run.
pub fn select(
    cases: Vec<Case>,
    include: &[String],
    exclude: &[String],
) -> Result<Vec<Case>, String> {
    select_by(cases, |c| c.id.to_string(), include, exclude, "ws")
}

/// Whether a case must run alone: the performance cases (9.x) measure time and
/// load the machine, so nothing else works while they do; so do wirecheck's
/// floods and bombs (S.3, S.4), which keep both cores busy building what they
/// send, long enough to starve a neighbour's 1 s timers.
fn runs_alone(case: &Case) -> bool {
    (case.report_time && case.deflate.is_none()) || case.alone
}

/// Whether a case is heavy: the compression cases (12.x, 13.x) are a thousand
/// CPU-bound round trips each; `-j` of them run side by side (their durations
/// then include that sharing) and nothing else starts meanwhile.
fn is_heavy(case: &Case) -> bool {
    case.report_time && case.deflate.is_some()
}

/// Whether a case spends its time waiting on its own timers (5.19, 5.20, 6.4.x
/// pause 1 s between writes). Such a case is idle while it waits and its verdict
/// depends on nothing but those pauses, so it needs no work slot.
fn mostly_waits(case: &Case) -> bool {
    case.steps.iter().any(|s| matches!(s, Step::Wait(..)))
}

/// What `case` needs while it works ([`super::slots`]).
fn work_of(case: &Case) -> Work {
    // A case judged on a time runs with no other case connected, or another
    // case's load on the server would be taken for its slowness.
    if case.is_timed() {
        Work::Quiet
    } else if runs_alone(case) {
        Work::Alone
    } else if is_heavy(case) {
        Work::Heavy
    } else if mostly_waits(case) {
        Work::Sleeper
    } else {
        Work::Shared
    }
}

/// The order cases queue for their slots in (the semaphores are fair), as
/// indices into `cases`: the timed ones first, one by one, while the server is
/// at rest (in the middle of the run they would wait for every case before
/// them to end, and a flood or a bomb may keep a server busy after its case
/// has ended); then the others; the alone ones (9.x, S.3, S.4) last, so they
/// start once the others are done working. Case order within each group.
fn queue_order(cases: &[Case]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by_key(|&i| queue_group(work_of(&cases[i])));
    order
}

/// Which group of [`queue_order`] a kind of work queues in.
fn queue_group(work: Work) -> u8 {
    match work {
        Work::Quiet => 0,
        Work::Shared | Work::Heavy | Work::Sleeper => 1,
        Work::Alone => 2,
    }
}

/// When this many cases in a row ended without an opening handshake in the same
/// way, and none was completed meanwhile, the run stops: the server cannot be
/// tested, and repeating the failure for every case only takes time.
pub const GIVE_UP_AFTER: usize = 4;

/// A failure's kind: its reason without the numbers (byte counts, times).
fn failure_kind(r: &CaseResult) -> String {
    r.result.chars().filter(|c| !c.is_ascii_digit()).collect()
}

/// The outcome of [`run_cases`].
#[derive(Debug)]
pub struct RunOutcome {
    /// The results of the cases that ran, in case order.
    pub results: Vec<CaseResult>,
    /// Set when the run stopped early: the first [`GIVE_UP_AFTER`] cases all
    /// failed their opening handshake the same way; the reason is theirs.
    pub gave_up: Option<String>,
    /// How many cases panicked (each reported as a FAILED case).
    pub panicked: usize,
}

/// Run `cases` (sorted) against `target`, at most `jobs` working at a time
/// ([`super::slots`]: waiting cases hold no work slot, the 9.x cases work
/// alone); `progress` is called as each case finishes, with the connections
/// open at that moment. Results come back in case order.
///
/// A case whose task panics is reported as a FAILED case carrying the panic
/// message (DESIGN §3: exit 4). When the first cases all fail their opening
/// handshake in the same way and no handshake succeeded, the rest are
/// cancelled ([`RunOutcome::gave_up`]).
pub async fn run_cases(
    target: &Target,
    cfg: &EngineConfig,
    cases: &[Case],
    jobs: usize,
    mut progress: impl FnMut(&CaseResult, usize),
) -> RunOutcome {
    let mut results: Vec<Option<CaseResult>> = vec![None; cases.len()];
    let slots = Slots::new(jobs);
    let shared: Arc<(Target, EngineConfig, Vec<Case>)> =
        Arc::new((target.clone(), cfg.clone(), cases.to_vec()));
    let mut tasks = JoinSet::new();
    let mut index = HashMap::new();
    for i in queue_order(cases) {
        let shared = Arc::clone(&shared);
        let slots = Arc::clone(&slots);
        let work = work_of(&cases[i]);
        let handle = tasks.spawn(async move {
            let (target, cfg, cases) = &*shared;
            run_case(target, cfg, &cases[i], i + 1, &slots, work).await
        });
        index.insert(handle.id(), i);
    }
    let mut outcome = RunOutcome {
        results: Vec::new(),
        gave_up: None,
        panicked: 0,
    };
    let mut unopened: Vec<String> = Vec::new();
    let mut retained = RunBudget::default();
    while let Some(joined) = tasks.join_next_with_id().await {
        let (i, mut result, crashed) = match joined {
            Ok((id, r)) => (index[&id], r, false),
            Err(e) => {
                let Some(&i) = index.get(&e.id()) else {
                    continue;
                };
                outcome.panicked += 1;
                (i, panicked(&cases[i], i + 1, e), true)
            }
        };
        retained.admit(&mut result);
        progress(&result, slots.open_connections());
        // A panic is wirecheck's, not a handshake the server failed; a
        // refusal the case expects (H., S.) is no failure at all.
        if slots.opened() == 0
            && !result.close.was_open
            && !crashed
            && (result.behavior == Behavior::Failed
                || result.behavior_close == BehaviorClose::Failed)
        {
            unopened.push(failure_kind(&result));
            // The last few agree: one odd failure first (a reset among many
            // connections at once) does not keep the run from stopping.
            let last = &unopened[unopened.len().saturating_sub(GIVE_UP_AFTER)..];
            let same = last.iter().all(|k| *k == last[0]);
            if last.len() >= GIVE_UP_AFTER && same {
                outcome.gave_up = Some(result.result.clone());
                results[i] = Some(result);
                tasks.abort_all();
                break;
            }
        }
        results[i] = Some(result);
    }
    outcome.results = results.into_iter().flatten().collect();
    outcome
}

/// A FAILED result for a case whose task panicked: wirecheck's fault, reported
/// as that case rather than dropped (DESIGN §3).
fn panicked(case: &Case, ordinal: usize, e: tokio::task::JoinError) -> CaseResult {
    let why = if e.is_panic() {
        let payload = e.into_panic();
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned())
    } else {
        "the case's task was cancelled".to_owned()
    };
    let mut r = CaseResult::unrun(case, ordinal);
    r.behavior = Behavior::Failed;
    r.result = format!("internal error in wirecheck (not the server's fault): {why}");
    r.behavior_close = BehaviorClose::Failed;
    r.result_close = "the case did not finish".to_owned();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicked_case_is_a_failed_case_with_the_message() {
        let case = crate::ws::cases::all().into_iter().next().expect("a case");
        let joined = tokio::spawn(async { panic!("boom in the engine") }).await;
        let e = joined.expect_err("the task panicked");
        let r = panicked(&case, 1, e);
        assert_eq!(r.behavior, Behavior::Failed);
        assert_eq!(r.behavior_close, BehaviorClose::Failed);
        assert!(r.result.contains("boom in the engine"), "{}", r.result);
        assert!(r.result.contains("internal error"), "{}", r.result);
        assert_eq!(r.id, case.id);
    }

    #[test]
    fn failures_of_one_kind_differ_only_in_numbers() {
        let case = crate::ws::cases::all().into_iter().next().expect("a case");
        let mut a = CaseResult::unrun(&case, 1);
        let mut b = CaseResult::unrun(&case, 2);
        a.result =
            "no complete opening handshake within 5.0 s (0 bytes of response received)".into();
        b.result =
            "no complete opening handshake within 5.0 s (17 bytes of response received)".into();
        assert_eq!(failure_kind(&a), failure_kind(&b));
        b.result = "the server answered 404 instead of 101".into();
        assert_ne!(failure_kind(&a), failure_kind(&b));
    }

    /// The cases judged on how soon the server answered run with no other
    /// case connected; no other case does (it would stall the run).
    #[test]
    fn exactly_the_timed_cases_are_quiet() {
        let quiet: Vec<String> = crate::ws::cases::all()
            .iter()
            .filter(|c| work_of(c) == Work::Quiet)
            .map(|c| c.id.to_string())
            .collect();
        assert_eq!(quiet, ["S.2.3", "S.2.4"]);
    }

    /// The timed cases queue first and the ones that run alone last, each
    /// group in case order (a timed case queued after a flood was answered
    /// late; placed in the middle, a server that never answers took 83 s).
    #[test]
    fn timed_cases_queue_first_and_alone_ones_last() {
        let cases = crate::ws::cases::all();
        let order = queue_order(&cases);
        // Every case once.
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..cases.len()).collect::<Vec<_>>());
        let ids: Vec<String> = order.iter().map(|&i| cases[i].id.to_string()).collect();
        assert_eq!(ids[..2], ["S.2.3", "S.2.4"]);
        let group = |i: usize| queue_group(work_of(&cases[i]));
        // Groups in order, case order within each.
        assert!(
            order
                .windows(2)
                .all(|w| (group(w[0]), w[0]) < (group(w[1]), w[1])),
            "{ids:?}"
        );
        assert_eq!(group(order[order.len() - 1]), 2, "alone ones are last");
    }
}
