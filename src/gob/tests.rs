//! Unit tests of the codec: Go's documented encodings, round trips, hostile input.

use super::encode::{put_bytes, put_float, put_int, put_message, put_type_definition, put_uint};
use super::types::*;
use super::*;

/// A stream holding one top-level value of predefined type `id`, encoded by `f`.
fn single(id: TypeId, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut body = Vec::new();
    put_int(&mut body, id.into());
    body.push(0);
    f(&mut body);
    let mut out = Vec::new();
    put_message(&mut out, &body);
    out
}

fn decode(b: &[u8]) -> Result<Value, DecodeError> {
    Decoder::new(b).decode().map(|(_, v)| v)
}

#[test]
fn unsigned_and_signed_integers_use_gos_encoding() {
    // Examples from encoding/gob's doc.go.
    let mut b = Vec::new();
    put_uint(&mut b, 7);
    assert_eq!(b, [0x07]);
    b.clear();
    put_uint(&mut b, 256);
    assert_eq!(b, [0xfe, 0x01, 0x00]);
    b.clear();
    put_int(&mut b, -129);
    assert_eq!(b, [0xfe, 0x01, 0x01]);
    b.clear();
    put_float(&mut b, 17.0);
    assert_eq!(b, [0xfe, 0x31, 0x40]);
    for x in [
        0,
        1,
        127,
        128,
        255,
        256,
        65535,
        1 << 32,
        u64::MAX - 1,
        u64::MAX,
    ] {
        assert_eq!(
            decode(&single(UINT, |b| put_uint(b, x))),
            Ok(Value::Uint(x)),
            "{x}"
        );
    }
    for i in [0, 1, -1, 63, 64, -64, -65, i64::MAX, i64::MIN, i64::MIN + 1] {
        assert_eq!(
            decode(&single(INT, |b| put_int(b, i))),
            Ok(Value::Int(i)),
            "{i}"
        );
    }
    for f in [0.0, -0.0, 1.5, f64::MAX, f64::MIN_POSITIVE, f64::INFINITY] {
        let Ok(Value::Float(got)) = decode(&single(FLOAT, |b| put_float(b, f))) else {
            panic!()
        };
        assert_eq!(got.to_bits(), f.to_bits());
    }
}

#[test]
fn non_minimal_and_oversized_uints() {
    // Go accepts a non-minimal length byte; a length over 8 is an error.
    assert_eq!(
        decode(&single(UINT, |b| b.extend([0xfe, 0x00, 0x05]))),
        Ok(Value::Uint(5))
    );
    let err = decode(&single(UINT, |b| {
        b.extend([0xf7, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    }))
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadUint);
    assert_eq!(err.offset, 3);
}

#[test]
fn strings_are_bytes() {
    let raw = b"ok\xff\xfe\x80end".to_vec();
    let blob = single(STRING, |b| put_bytes(b, &raw));
    assert_eq!(decode(&blob), Ok(Value::String(raw.as_slice().into())));
    let v = Value::String(raw.as_slice().into());
    assert_eq!(
        json::to_json(&v, STRING, None),
        serde_json::json!({"bytes": "b2v//oBlbmQ="})
    );
}

#[test]
fn every_strict_prefix_of_a_session_is_an_error() {
    let blob = include_bytes!("../../tests/fixtures/gob/typical_session.gob");
    for n in 0..blob.len() {
        let err = decode(&blob[..n]).expect_err("a truncated stream must not decode");
        assert!(err.offset <= n, "offset {} past {n}", err.offset);
    }
    assert!(decode(blob).is_ok());
}

#[test]
fn huge_counts_fail_before_allocating() {
    // type 65 = []int, then a slice claiming 2^62 elements.
    let mut out = Vec::new();
    put_type_definition(
        &mut out,
        65,
        &WireType {
            name: "[]int".into(),
            kind: Kind::Slice { elem: INT },
        },
    );
    let mut body = Vec::new();
    put_int(&mut body, 65);
    body.push(0);
    put_uint(&mut body, 1 << 62);
    put_message(&mut out, &body);
    let err = decode(&out).unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::TooLong { what: "slice", .. }),
        "{err}"
    );
    // A string longer than its message.
    let err = decode(&single(STRING, |b| put_uint(b, u64::MAX))).unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::TooLong { what: "string", .. }),
        "{err}"
    );
    // A message longer than the input.
    let err = decode(&[0xf8, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]).unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::MessageTooLong { .. }),
        "{err}"
    );
}

#[test]
fn deep_nesting_is_limited() {
    // type T []T, nested 10 000 deep.
    let mut out = Vec::new();
    put_type_definition(
        &mut out,
        65,
        &WireType {
            name: "T".into(),
            kind: Kind::Slice { elem: 65 },
        },
    );
    let mut body = Vec::new();
    put_int(&mut body, 65);
    body.push(0);
    body.extend(std::iter::repeat_n(1, 10_000));
    body.push(0);
    put_message(&mut out, &body);
    assert_eq!(
        decode(&out).unwrap_err().kind,
        ErrorKind::TooDeep(decode::MAX_DEPTH)
    );
}

#[test]
fn bad_type_ids_are_errors() {
    // A value of an undefined type.
    let mut out = Vec::new();
    put_message(&mut out, &[0x7e, 0x00]);
    assert_eq!(decode(&out).unwrap_err().kind, ErrorKind::UnknownType(63));
    // A definition for a predefined id.
    let mut out = Vec::new();
    put_type_definition(
        &mut out,
        6,
        &WireType {
            name: "x".into(),
            kind: Kind::Slice { elem: INT },
        },
    );
    assert!(matches!(
        decode(&out).unwrap_err().kind,
        ErrorKind::ReservedType(6)
    ));
    // The same id twice.
    let mut out = Vec::new();
    let def = WireType {
        name: "x".into(),
        kind: Kind::Slice { elem: INT },
    };
    put_type_definition(&mut out, 70, &def);
    put_type_definition(&mut out, 70, &def);
    assert_eq!(decode(&out).unwrap_err().kind, ErrorKind::DuplicateType(70));
    // A struct field past the type's fields.
    let mut out = Vec::new();
    let def = WireType {
        name: "S".into(),
        kind: Kind::Struct {
            fields: vec![Field {
                name: "A".into(),
                id: INT,
            }],
        },
    };
    put_type_definition(&mut out, 65, &def);
    put_message(&mut out, &[0xff, 0x82, 0x02, 0x02, 0x00]);
    assert!(matches!(
        decode(&out).unwrap_err().kind,
        ErrorKind::FieldOutOfRange { field: 1, .. }
    ));
    // A non-zero singleton delta.
    assert_eq!(
        decode(&[0x03, 0x04, 0x01, 0x02]).unwrap_err().kind,
        ErrorKind::BadSingleton(1)
    );
}

#[test]
fn time_binary_layouts() {
    // Version 1: 2024-02-29T23:59:59.123456789Z.
    let t = GoTime::parse_rfc3339("2024-02-29T23:59:59.123456789Z").unwrap();
    let b = t.marshal_binary();
    assert_eq!(b.len(), 15);
    assert_eq!(&b[13..], [0xff, 0xff], "UTC is offset -1");
    assert_eq!(GoTime::unmarshal_binary(&b), Ok(t));
    assert_eq!(t.unix(), 1_709_251_199);
    // Version 2: an offset with seconds.
    let t = GoTime::parse_rfc3339("1900-01-01T00:00:00+01:30").unwrap();
    let t2 = GoTime::with_offset(t.unix(), 0, Some(5415)).unwrap();
    let b = t2.marshal_binary();
    assert_eq!((b[0], b.len(), b[15]), (2, 16, 15));
    assert_eq!(t2.offset_seconds(), 5415);
    assert_eq!(GoTime::unmarshal_binary(&b), Ok(t2));
    assert_eq!(
        GoTime::unmarshal_binary(&[3; 15]),
        Err("unsupported version")
    );
    assert_eq!(GoTime::unmarshal_binary(&b[..10]), Err("invalid length"));
}

#[test]
fn rfc3339_text() {
    assert_eq!(time::ZERO_TIME.rfc3339(), "0001-01-01T00:00:00Z");
    assert_eq!(GoTime::from_unix_nanos(0).rfc3339(), "1970-01-01T00:00:00Z");
    assert_eq!(
        GoTime::from_unix_nanos(-1).rfc3339(),
        "1969-12-31T23:59:59.999999999Z"
    );
    assert_eq!(
        GoTime::from_unix_nanos(1_500_000_000).rfc3339(),
        "1970-01-01T00:00:01.5Z"
    );
    for s in [
        "2024-07-01T12:00:00.0000005+05:30",
        "1999-12-31T23:59:59-07:00",
        "2000-02-29T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
    ] {
        assert_eq!(GoTime::parse_rfc3339(s).unwrap().rfc3339(), s);
    }
    let before_year1 = GoTime {
        sec: -86_400 * 366,
        nsec: 0,
        offset_min: -1,
        offset_sec: None,
    };
    assert_eq!(before_year1.rfc3339(), "0000-01-01T00:00:00Z");
    for bad in [
        "2024-02-30T00:00:00Z",
        "2024-01-01",
        "2024-01-01T25:00:00Z",
        "2024-01-01T00:00:00",
        "2024-01-01T00:00:00.Z",
    ] {
        assert!(GoTime::parse_rfc3339(bad).is_err(), "{bad}");
    }
}

#[test]
fn zero_filling_omitted_nested_arrays_is_bounded() {
    // struct { A [4096][4096][4096]int } with A omitted: the view must not fill 2^36 zeros.
    let mut types = Types::new();
    types.insert(
        65,
        WireType {
            name: "A1".into(),
            kind: Kind::Array {
                elem: INT,
                len: 4096,
            },
        },
    );
    types.insert(
        66,
        WireType {
            name: "A2".into(),
            kind: Kind::Array {
                elem: 65,
                len: 4096,
            },
        },
    );
    types.insert(
        67,
        WireType {
            name: "A3".into(),
            kind: Kind::Array {
                elem: 66,
                len: 4096,
            },
        },
    );
    types.insert(
        68,
        WireType {
            name: "S".into(),
            kind: Kind::Struct {
                fields: vec![Field {
                    name: "A".into(),
                    id: 67,
                }],
            },
        },
    );
    let view = json::to_json(&Value::Struct(vec![]), 68, Some(&types));
    assert!(view.to_string().len() < 1 << 20);
}

#[test]
fn json_strings_escape_every_position_the_word_scan_can_skip() {
    let specials = [
        "\"", "\\", "\u{0}", "\u{1f}", "\n", "\u{7f}", "\u{85}", "\u{9b}", "\u{202e}", "\u{2066}",
        "\u{200f}", "é", "✓", "𝄞", "/", " ", "~",
    ];
    for special in specials {
        for at in 0..20 {
            let text = format!("{}{special}{}", "a".repeat(at), "b".repeat(19 - at));
            let mut out = Vec::new();
            json::write_str(&mut out, &text);
            let written = String::from_utf8(out).unwrap();
            let back: String = serde_json::from_str(&written).unwrap();
            assert_eq!(back, text, "{written}");
            let terminal_safe = written
                .chars()
                .all(|c| !crate::sanitize::is_terminal_control(c));
            assert!(terminal_safe, "{special:?} at {at} left raw: {written}");
            let serde = serde_json::to_string(&text).unwrap();
            if special
                .chars()
                .all(|c| c < '\u{7f}' || !crate::sanitize::is_terminal_control(c))
            {
                assert_eq!(written, serde, "plain JSON escapes differ for {special:?}");
            }
        }
    }
}

#[test]
fn type_tables_find_near_far_and_many_ids() {
    let def = |n: TypeId| WireType {
        name: format!("T{n}"),
        kind: Kind::Slice { elem: STRING },
    };
    let mut types = Types::new();
    // Near ids out of order, a far one, a negative one, and each only once.
    for id in [66, 64, 95, 96, 1000, -5] {
        assert!(types.insert(id, def(id)), "{id}");
        assert!(!types.insert(id, def(id + 1)), "{id} again");
    }
    for id in [66, 64, 95, 96, 1000, -5] {
        assert_eq!(
            types.get(id).map(|d| d.name.clone()),
            Some(format!("T{id}"))
        );
    }
    for id in [65, 94, 97, 999, -1, TypeId::MIN, TypeId::MAX] {
        assert!(types.get(id).is_none(), "{id}");
    }
    // More definitions than a u16 position holds, then near ids after them.
    let mut many = Types::new();
    for id in 100_000..100_000 + 70_000 {
        assert!(many.insert(id, def(id)));
    }
    for id in [70, 64] {
        assert!(many.get(id).is_none());
        assert!(many.insert(id, def(id)));
        assert!(!many.insert(id, def(id)));
        assert_eq!(many.get(id).map(|d| d.name.clone()), Some(format!("T{id}")));
    }
    assert!(many.get(71).is_none());
    assert_eq!(
        many.get(169_999).map(|d| d.name.clone()),
        Some("T169999".into())
    );
}
