//! Go `encoding/gob`: a self-contained decoder and encoder that knows nothing of databases or
//! the command line.
//!
//! PLACEHOLDER: the codec lands with the gob issue.
