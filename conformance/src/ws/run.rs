//! Selecting cases and running them: concurrently where timing allows, one at a
//! time where it does not, so the verdicts never depend on `-j`.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::case::{Case, Step};
use super::engine::{EngineConfig, Target, run_case};
use super::result::CaseResult;

/// Whether `pattern` selects the case id `id` (DESIGN §3).
///
/// Patterns are anchored at both ends and matched component by component (the
/// components are the dot-separated parts); `*` matches within one component
/// only (`6.1*` matches `6.1` and `6.10`, not `6.1.1`). A pattern whose last
/// component is `*` alone selects everything below its prefix (`6.*` selects
/// `6.4.1`; `*` selects every case). So `12.*.1` selects `12.1.1` but not
/// `12.1.10`.
pub fn pattern_matches(pattern: &str, id: &str) -> bool {
    let pat: Vec<&str> = pattern.split('.').collect();
    let ids: Vec<&str> = id.split('.').collect();
    let (last, init) = match pat.split_last() {
        Some(x) => x,
        None => return false,
    };
    if *last == "*" {
        // The trailing `*` needs at least one component to match.
        return ids.len() > init.len() && init.iter().zip(&ids).all(|(p, c)| glob(p, c));
    }
    pat.len() == ids.len() && pat.iter().zip(&ids).all(|(p, c)| glob(p, c))
}

/// `*`-glob within one component, case-insensitive for the letter ids.
fn glob(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    // Iterative matcher with one backtrack point: linear in practice, no recursion.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] != b'*' && p[pi].eq_ignore_ascii_case(&t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// The cases selected by `include` (all when empty) minus `exclude`. A pattern
/// that selects nothing is an error: a typo must not silently shrink a run.
pub fn select(
    cases: Vec<Case>,
    include: &[String],
    exclude: &[String],
) -> Result<Vec<Case>, String> {
    select_by(cases, |c| c.id.to_string(), include, exclude, "ws")
}

/// [`select`] for any catalogue: `id` gives a case's id, `protocol` names the
/// `wirecheck cases <protocol>` listing in the error.
pub fn select_by<T>(
    cases: Vec<T>,
    id: impl Fn(&T) -> String,
    include: &[String],
    exclude: &[String],
    protocol: &str,
) -> Result<Vec<T>, String> {
    for p in include.iter().chain(exclude) {
        if p.is_empty() || !cases.iter().any(|c| pattern_matches(p, &id(c))) {
            return Err(format!(
                "the case pattern {p:?} selects no case (see `wirecheck cases {protocol}`)"
            ));
        }
    }
    Ok(cases
        .into_iter()
        .filter(|c| {
            let id = id(c);
            (include.is_empty() || include.iter().any(|p| pattern_matches(p, &id)))
                && !exclude.iter().any(|p| pattern_matches(p, &id))
        })
        .collect())
}

/// Whether a case must run alone: the performance cases (9.x) measure time and
/// load the machine, so they run one at a time after the others.
fn runs_alone(case: &Case) -> bool {
    case.report_time
}

/// Whether a case spends its time waiting on its own timers (5.19, 5.20, 6.4.x
/// pause 1 s between writes). Such a case is idle while it waits and its verdict
/// depends on nothing but those pauses, so it starts at once, outside the `-j`
/// limit, instead of holding a job slot while it sleeps.
fn mostly_waits(case: &Case) -> bool {
    case.steps.iter().any(|s| matches!(s, Step::Wait(..)))
}

/// Run `cases` (sorted) against `target`, at most `jobs` at a time; `progress` is
/// called as each case finishes. Results come back in case order.
///
/// Three groups: the cases that mostly wait start at once and sleep in the
/// background; the others run `jobs` at a time; then the performance cases run
/// one by one (the sleepers may still be waiting, which costs no CPU).
pub async fn run_cases(
    target: &Target,
    cfg: &EngineConfig,
    cases: &[Case],
    jobs: usize,
    mut progress: impl FnMut(&CaseResult),
) -> Vec<CaseResult> {
    let mut results: Vec<Option<CaseResult>> = vec![None; cases.len()];
    let shared: Arc<(Target, EngineConfig, Vec<Case>)> =
        Arc::new((target.clone(), cfg.clone(), cases.to_vec()));
    let limit = Arc::new(Semaphore::new(jobs.max(1)));
    let mut sleepers = JoinSet::new();
    let mut workers = JoinSet::new();
    for (i, case) in cases.iter().enumerate() {
        if runs_alone(case) {
            continue;
        }
        let shared = Arc::clone(&shared);
        let job = async move {
            let (target, cfg, cases) = &*shared;
            (i, run_case(target, cfg, &cases[i], i + 1).await)
        };
        if mostly_waits(case) {
            sleepers.spawn(job);
        } else {
            let limit = Arc::clone(&limit);
            workers.spawn(async move {
                let _permit = limit.acquire_owned().await.ok();
                job.await
            });
        }
    }
    let mut record = |joined: Result<(usize, CaseResult), _>| {
        if let Ok((i, r)) = joined {
            progress(&r);
            results[i] = Some(r);
        }
    };
    while let Some(joined) = workers.join_next().await {
        record(joined);
    }
    for (i, case) in cases.iter().enumerate() {
        if runs_alone(case) {
            record(Ok((i, run_case(target, cfg, case, i + 1).await)));
        }
    }
    while let Some(joined) = sleepers.join_next().await {
        record(joined);
    }
    results.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_follow_design_rules() {
        assert!(pattern_matches("6.4.*", "6.4.1"));
        assert!(pattern_matches("6.*", "6.4.1"));
        assert!(pattern_matches("6.*", "6.1"));
        assert!(!pattern_matches("6.*", "6"));
        assert!(!pattern_matches("6.*", "16.1.1"));
        assert!(pattern_matches("12.*.1", "12.1.1"));
        assert!(!pattern_matches("12.*.1", "12.1.10"));
        assert!(pattern_matches("*", "1.1.1"));
        assert!(pattern_matches("1.1.1", "1.1.1"));
        assert!(!pattern_matches("1.1", "1.1.1"));
        assert!(pattern_matches("6.1*", "6.10"));
        assert!(!pattern_matches("6.1*", "6.10.1"));
        assert!(pattern_matches("h.*", "H.1.2"));
    }
}
