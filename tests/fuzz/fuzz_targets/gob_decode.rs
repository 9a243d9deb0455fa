//! Fuzzes the gob decoder and the SCS envelope: no input may panic, and any session that
//! decodes must re-encode to something that decodes to the same view, and its JSON written
//! directly must be the text of its JSON tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scsctl::gob::Decoder;
use scsctl::session::{self, Decoded};

fuzz_target!(|data: &[u8]| {
    let _ = Decoder::new(data).decode();
    if let Decoded::Gob(s) = session::decode(data) {
        let view = s.to_json();
        // What `list` writes straight from the session is the text the JSON tree prints.
        let mut direct = Vec::new();
        s.write_values_json(&mut direct);
        let printed = scsctl::sanitize::to_json(&s.values_json()).expect("printable");
        assert_eq!(String::from_utf8_lossy(&direct), printed, "direct JSON differs");
        let _ = s.value_rows();
        if let Ok(again) = s.encode() {
            match session::decode(&again) {
                Decoded::Gob(t) => assert_eq!(t.to_json(), view, "decode(encode(s)) differs"),
                other => panic!("re-encoded session does not decode: {other:?}"),
            }
        }
    }
});
