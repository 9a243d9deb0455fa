//! The SCS session envelope (`Deadline` + `Values`) on top of [`crate::gob`], and filters.
//!
//! PLACEHOLDER: lands with the gob issue.
