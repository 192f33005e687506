//! Case ids (DESIGN §5): Autobahn's numeric ids (`1.1.1`, `2.10`) and
//! wirecheck's own, which start with letters (`H.1.1`, `E.2.3`), with the one
//! order every report lists them in: component by component, numbers
//! numerically and before names.

use std::fmt;

/// A case id: Autobahn's numeric ids (`1.1.1`, `2.10`), or wirecheck's own, which
/// start with a letter (`H.1.1`, `X.2.3`, `S.1.1`). Ordered as Autobahn orders them:
/// numerically, component by component.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId(pub Vec<IdPart>);

/// One dot-separated component of a case id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdPart {
    /// A number (Autobahn ids are all numbers).
    Num(u32),
    /// A name (the first component of wirecheck's own ids).
    Name(String),
}

impl CaseId {
    /// Parse `1.2.3` or `H.1`.
    pub fn parse(s: &str) -> Option<CaseId> {
        if s.is_empty() {
            return None;
        }
        let parts = s
            .split('.')
            .map(|p| {
                if p.is_empty() {
                    None
                } else if let Ok(n) = p.parse() {
                    Some(IdPart::Num(n))
                } else if p.chars().all(|c| c.is_ascii_alphanumeric()) {
                    Some(IdPart::Name(p.to_owned()))
                } else {
                    None
                }
            })
            .collect::<Option<Vec<_>>>()?;
        Some(CaseId(parts))
    }

    /// The id with dots replaced by underscores, as report file names use it.
    pub fn file_stem(&self) -> String {
        self.to_string().replace('.', "_")
    }

    /// Whether it is one of Autobahn's ids (all numbers), not wirecheck's own.
    pub fn is_autobahn(&self) -> bool {
        self.0.iter().all(|p| matches!(p, IdPart::Num(_)))
    }

    /// The category: the first component (`6` for `6.4.1`).
    pub fn category(&self) -> String {
        self.0.first().map(ToString::to_string).unwrap_or_default()
    }
}

impl fmt::Display for IdPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdPart::Num(n) => write!(f, "{n}"),
            IdPart::Name(s) => f.write_str(s),
        }
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_order_numerically_and_print_back() {
        let mut ids: Vec<CaseId> = ["12.1.1", "1.1.10", "1.1.2", "2.10", "2.9", "H.1"]
            .iter()
            .map(|s| CaseId::parse(s).unwrap())
            .collect();
        ids.sort();
        let printed: Vec<String> = ids.iter().map(ToString::to_string).collect();
        assert_eq!(printed, ["1.1.2", "1.1.10", "2.9", "2.10", "12.1.1", "H.1"]);
        assert_eq!(ids[0].file_stem(), "1_1_2");
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in ["", "1..2", ".1", "1.", "1.a-b"] {
            assert!(CaseId::parse(bad).is_none(), "{bad}");
        }
    }
}
