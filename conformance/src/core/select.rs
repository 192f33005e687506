//! Case selection for every catalogue (DESIGN §3): `--cases` and `--exclude`
//! patterns, anchored and matched component by component.

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

/// The cases of any catalogue selected by `include` (all when empty) minus
/// `exclude`; a pattern that selects nothing is an error (a typo must not
/// silently shrink a run): `id` gives a case's id, `protocol` names the
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

/// The selection of a listing (`wirecheck cases ws|sse [PAT,..]`): the same
/// comma-separated patterns as `--cases`, none meaning every case. It
/// remembers which patterns selected something, so that a pattern that
/// selects nothing is reported as it is for a run.
#[derive(Debug)]
pub struct Listing<'a> {
    patterns: Vec<(&'a str, bool)>,
}

impl<'a> Listing<'a> {
    /// The patterns of `arg` (comma-separated), or every case without one.
    pub fn new(arg: Option<&'a str>) -> Self {
        Listing {
            patterns: arg
                .map(|a| a.split(',').map(|p| (p, false)).collect())
                .unwrap_or_default(),
        }
    }

    /// Whether the case `id` is listed.
    pub fn selects(&mut self, id: &str) -> bool {
        if self.patterns.is_empty() {
            return true;
        }
        let mut any = false;
        for (p, used) in &mut self.patterns {
            if pattern_matches(p, id) {
                *used = true;
                any = true;
            }
        }
        any
    }

    /// The first pattern that selected no case, once every case was offered.
    pub fn unused(&self) -> Option<&'a str> {
        self.patterns
            .iter()
            .find(|(_, used)| !used)
            .map(|(p, _)| *p)
    }
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

    #[test]
    fn a_listing_takes_the_comma_separated_patterns_of_cases() {
        let ids = ["1.1.1", "1.1.2", "2.1", "E.1.1"];
        let mut all = Listing::new(None);
        assert!(ids.iter().all(|id| all.selects(id)));
        assert_eq!(all.unused(), None);
        let mut some = Listing::new(Some("1.1.2,2.*"));
        let listed: Vec<_> = ids.iter().filter(|id| some.selects(id)).collect();
        assert_eq!(listed, [&"1.1.2", &"2.1"]);
        assert_eq!(some.unused(), None);
        let mut typo = Listing::new(Some("1.1.1,9.*,"));
        ids.iter().for_each(|id| {
            typo.selects(id);
        });
        assert_eq!(typo.unused(), Some("9.*"));
    }
}
