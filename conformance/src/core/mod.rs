//! What every protocol's runner shares and none owns: case ids and their
//! order, case selection, the verdict vocabulary, and the outcome of a run as
//! every report reads it.
//!
//! The dependency rule of the crate: `ws` (the WebSocket runner), `sse` (the
//! SSE runner) and `report` (the renderers) each depend on `core` and on none
//! of the other two; only the command glue (`command`, `ws::command`,
//! `sse::command`, `main`) ties them together. `conformance/tests/layering.rs`
//! enforces it.

pub mod id;
pub mod outcome;
pub mod select;
pub mod verdict;

pub use id::{CaseId, IdPart};
pub use outcome::{
    CaseReport, CloseVerdict, Detail, Protocol, Run, case_file_stem, clean_for_filename,
    iso8601_utc, sort_key,
};
pub use select::{Listing, pattern_matches, select_by};
pub use verdict::{Behavior, BehaviorClose};
