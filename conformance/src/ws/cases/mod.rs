//! The case catalogue: Autobahn's cases, one file per category, with Autobahn's
//! ids, descriptions, payloads, chop sizes and timers, so results compare line by
//! line with Autobahn's reports. Each case is a record built from the helpers in
//! [`super::case`]; read it next to the Autobahn case it mirrors.

use super::case::Case;

mod c1_framing;

/// Every case, sorted by id.
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(c1_framing::cases());
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    cases
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique() {
        let cases = all();
        let ids: HashSet<String> = cases.iter().map(|c| c.id.to_string()).collect();
        assert_eq!(ids.len(), cases.len());
    }
}
