//! Unit tests of the codec: round trips, Go's bytes, hostile input.

use super::encode::{put_int, put_uint};
use super::types::*;
use super::*;
