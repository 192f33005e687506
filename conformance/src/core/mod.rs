//! What every protocol's runner shares and none owns: the verdict vocabulary
//! and case selection. The reports and the runners depend on this module; it
//! depends on none of them.

pub mod select;
pub mod verdict;

pub use select::{pattern_matches, select_by};
pub use verdict::{Behavior, BehaviorClose};
