use super::*;
use crate::gob::encode::put_type_definition;
use serde_json::json;

const USER: &[u8] = include_bytes!("../../tests/fixtures/gob/user.gob");
const TYPICAL: &[u8] = include_bytes!("../../tests/fixtures/gob/typical_session.gob");

fn session(b: &[u8]) -> Session {
    match decode(b) {
        Decoded::Gob(s) => s,
        other => panic!("{other:?}"),
    }
}

/// Every committed Go-made blob: (path, bytes).
fn gob_fixtures() -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gob");
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "gob"))
        .map(|path| {
            let data = std::fs::read(&path).unwrap();
            (path, data)
        })
        .collect()
}

/// The envelope's decoding before it was streamed: the whole value, then the session.
fn decode_gob_whole(data: &[u8]) -> Result<Option<Session>, DecodeError> {
    let mut dec = Decoder::with_preamble(data, &envelope().preamble);
    let (id, value) = dec.decode()?;
    let types = Arc::new(dec.into_types());
    match envelope_fields(&types, id) {
        Some((d, v)) => session_of(value, d, v, types),
        None => Ok(None),
    }
}

#[test]
fn streamed_envelope_decodes_like_the_whole_value() {
    let mut seen = 0;
    for (path, data) in gob_fixtures() {
        if data.len() > 4096 {
            continue;
        }
        seen += 1;
        let mut cases = vec![data.clone()];
        // Every truncation and a few byte changes at each offset.
        for n in 0..data.len() {
            cases.push(data[..n].to_vec());
            for x in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                let mut d = data.clone();
                d[n] = x;
                cases.push(d);
            }
        }
        for case in cases {
            // Debug text, not `==`: NaN values must compare equal.
            assert_eq!(
                format!("{:?}", decode_gob(&case)),
                format!("{:?}", decode_gob_whole(&case)),
                "{} mutated to {case:02x?}",
                path.display()
            );
        }
    }
    assert!(seen > 50);
}

#[test]
fn parse_set_types_and_key_splitting() {
    let (k, v) = parse_set("n:int=42").unwrap();
    assert_eq!(
        (k.as_str(), v),
        ("n", Iface::new("int", INT, Value::Int(42)))
    );
    let err = parse_set("userID:integer=42").unwrap_err();
    assert!(
        err.contains("unknown type \"integer\"; valid types: string, int, int64, int32, uint, float64, bool, bytes, time"),
        "{err}"
    );
    assert!(err.contains("--set 'userID:integer:string=…'"), "{err}");
    assert_eq!(err.matches("--set \"").count(), 1, "said once: {err}");
    assert!(parse_set("flash:msg=a=b").is_err());
    let (k, v) = parse_set("flash:msg:string=a=b").unwrap();
    assert_eq!(
        (k.as_str(), v),
        (
            "flash:msg",
            Iface::new("string", STRING, Value::String(b"a=b"[..].into()))
        )
    );
    let (k, _) = parse_set("a:int:string=1").unwrap();
    assert_eq!(k, "a:int");
    assert_eq!(
        parse_set("x:int32=-5").unwrap().1,
        Iface::new("int32", INT, Value::Int(-5))
    );
    assert_eq!(
        parse_set("x:bytes=/w==").unwrap().1,
        Iface::new("[]uint8", BYTES, Value::Bytes([255].as_slice().into()))
    );
    assert_eq!(
        parse_set("x:bool=F").unwrap().1,
        Iface::new("bool", BOOL, Value::Bool(false))
    );
    assert!(matches!(parse_set("x:float64=NaN").unwrap().1.value, Value::Float(f) if f.is_nan()));
    let t = parse_set("x:time=2030-01-02T03:04:05Z").unwrap().1;
    assert_eq!((&*t.name, t.ty), ("time.Time", TIME));
    for bad in [
        "x:int32=2147483648",
        "x:uint=-1",
        "x:int=1.5",
        "x:bool=yes",
        "x:bytes=!!",
        "x:time=tomorrow",
        "x:float64=abc",
    ] {
        let err = parse_set(bad).unwrap_err();
        assert!(
            err.contains(
                "valid types: string, int, int64, int32, uint, float64, bool, bytes, time"
            ),
            "{bad}: {err}"
        );
    }
    assert!(parse_set("novalue").is_err());
    assert!(parse_set(":int=1").is_err());
}

#[test]
fn filters_walk_structs_and_maps() {
    let s = session(USER);
    let m = |f: &str| Filter::parse(f).unwrap().matches(&s);
    assert!(m("user.ID=1001"));
    assert!(m("user.ID:int=1001"));
    assert!(!m("user.ID:string=1001"));
    assert!(!m("user.ID=1002"));
    assert!(m("user.Email=ada@example.com"));
    assert!(m("user.Admin=true"));
    assert!(m(
        "user:main.User={\"Admin\":true,\"Email\":\"ada@example.com\",\"ID\":1001,\"Roles\":[\"admin\",\"billing\"]}"
    ));
    assert!(!m("user.Nope=1"));
    assert!(!m("missing=1"));
    let t = session(TYPICAL);
    let m = |f: &str| Filter::parse(f).unwrap().matches(&t);
    assert!(m("userID=887"));
    assert!(m("userID:int=887"));
    assert!(
        m("loginAt=2030-01-01T04:04:05.123456789+01:00"),
        "times compare as instants"
    );
    assert!(m("flash=Welcome back!"));
    assert!(m("authenticated:bool=true"));
    assert!(Filter::parse("a..b=1").is_err());
    assert!(Filter::parse("nokey").is_err());
    for op in ["role!=admin", "n<=5", "n>=5", "name~=x"] {
        let err = Filter::parse(op).unwrap_err();
        assert!(err.contains("only KEY=VALUE (equality) is"), "{op}: {err}");
    }
    assert!(
        Filter::parse("n>5")
            .unwrap_err()
            .contains("only = is supported")
    );
    assert_eq!(
        Filter::parse("flash:msg=x").unwrap().path,
        vec!["flash:msg"]
    );
}

#[test]
fn dotted_keys_and_nested_maps() {
    let deadline = std::time::UNIX_EPOCH;
    let (k, v) = parse_set("a.b=top").unwrap();
    let blob = encode(deadline, &[(k, v.into())]).unwrap();
    let s = session(&blob);
    assert!(Filter::parse("a.b=top").unwrap().matches(&s));
    let nested = session(include_bytes!(
        "../../tests/fixtures/gob/map_string_interface.gob"
    ));
    assert!(Filter::parse("prefs.theme=dark").unwrap().matches(&nested));
    assert!(
        Filter::parse("prefs.user.ID:int=5")
            .unwrap()
            .matches(&nested)
    );
    assert!(!Filter::parse("prefs.theme=light").unwrap().matches(&nested));
}

#[test]
fn value_rows_are_sorted_one_line_texts() {
    let rows = session(TYPICAL).value_rows();
    let keys: Vec<_> = rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        ["authenticated", "flash", "loginAt", "user", "userID"]
    );
    let by = |k: &str| rows.iter().find(|r| r.key == k).unwrap().clone();
    assert_eq!(
        (by("userID").go_type, by("userID").text),
        ("int".into(), "887".into())
    );
    assert_eq!(by("flash").text, "Welcome back!");
    assert_eq!(by("loginAt").text, "2030-01-01T03:04:05.123456789Z");
    assert_eq!(by("user").go_type, "main.User");
    assert!(by("user").text.starts_with('{') && !by("user").text.contains('\n'));
}

#[test]
fn codecs_are_recognised() {
    let v1 = br#"{"data":{"userID":42},"deadline":1893553445123456789}"#;
    match decode(v1) {
        Decoded::ScsV1Json { deadline, values } => {
            assert_eq!(deadline.rfc3339(), "2030-01-02T03:04:05.123456789Z");
            assert_eq!(values, json!({"userID": 42}));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(decode(v1).codec_name(), "json");
    assert_eq!(decode(br#"{"other":1}"#).codec_name(), "unknown");
    assert_eq!(decode(b"").codec_name(), "unknown");
    assert_eq!(decode(b"plain text session").codec_name(), "unknown");
    assert!(matches!(
        decode(&[0x03, 0xff, 0x81, 0x00]),
        Decoded::Corrupt(_)
    ));
    assert_eq!(decode(USER).codec_name(), "gob");
    // Valid gob that is not an SCS envelope.
    assert!(matches!(
        decode(&[0x03, 0x04, 0x00, 0x54]),
        Decoded::Unknown
    ));
}

#[test]
fn scs_v20_session_data_struct_decodes_the_same() {
    // SCS v2.0 encoded a struct named sessionData with the same fields.
    let modern = session(USER);
    let mut blob = Vec::new();
    let def = WireType {
        name: "sessionData".into(),
        kind: Kind::Struct {
            fields: vec![
                crate::gob::types::Field {
                    name: "Deadline".into(),
                    id: 66,
                },
                crate::gob::types::Field {
                    name: "Values".into(),
                    id: 67,
                },
            ],
        },
    };
    put_type_definition(&mut blob, 65, &def);
    // The rest of the stream (Time, map, value) is the same as the modern one's.
    let first_len = USER[0] as usize + 1;
    blob.extend_from_slice(&USER[first_len..]);
    let old = session(&blob);
    assert_eq!(old.to_json(), modern.to_json());
}

#[test]
fn gob_starting_with_a_brace_is_still_gob() {
    // An envelope struct whose name makes its definition message 123 (`{`) bytes long.
    let modern = session(USER);
    let first_len = USER[0] as usize + 1;
    let blob = (1..120)
        .map(|n| {
            let fields = vec![
                crate::gob::types::Field {
                    name: "Deadline".into(),
                    id: 66,
                },
                crate::gob::types::Field {
                    name: "Values".into(),
                    id: 67,
                },
            ];
            let def = WireType {
                name: "x".repeat(n),
                kind: Kind::Struct { fields },
            };
            let mut blob = Vec::new();
            put_type_definition(&mut blob, 65, &def);
            blob.extend_from_slice(&USER[first_len..]);
            blob
        })
        .find(|b| b[0] == b'{')
        .expect("some name length gives a 123-byte message");
    assert_eq!(session(&blob).to_json(), modern.to_json());
}

#[test]
fn invalid_utf8_string_values_survive_a_round_trip() {
    let raw = b"\xff\xfeok".to_vec();
    let values = vec![(
        "k".to_owned(),
        Value::iface("string", STRING, Value::String(raw.as_slice().into())),
    )];
    let blob = encode(std::time::UNIX_EPOCH, &values).unwrap();
    let s = session(&blob);
    let Some(Some(i)) = s.get("k") else { panic!() };
    assert_eq!(i.value, Value::String(raw.as_slice().into()));
    assert_eq!(s.encode().unwrap(), blob);
}

#[test]
fn merge_replaces_and_adds_keys_keeping_the_rest() {
    let mut s = session(TYPICAL);
    let before = s.values_json();
    let (k, v) = parse_set("userID:int=1").unwrap();
    s.set(k, v);
    let (k, v) = parse_set("new=x").unwrap();
    s.set(k, v);
    assert!(s.remove("flash"));
    let again = session(&s.encode().unwrap());
    let after = again.values_json();
    assert_eq!(after["userID"], json!({"type": "int", "value": 1}));
    assert_eq!(after["new"], json!({"type": "string", "value": "x"}));
    assert_eq!(after["user"], before["user"]);
    assert_eq!(after["loginAt"], before["loginAt"]);
    assert!(after.get("flash").is_none());
}

/// What `list` writes straight from the session must be the very text the JSON tree
/// prints: keys sorted, the last of repeated keys kept, the same floats and escapes.
fn assert_direct_json_is_the_tree_printed(s: &Session, what: &str) {
    let mut direct = Vec::new();
    s.write_values_json(&mut direct);
    let tree: Json = serde_json::from_slice(&direct).unwrap_or_else(|e| {
        panic!(
            "{what}: invalid JSON {e}: {}",
            String::from_utf8_lossy(&direct)
        )
    });
    let printed = crate::sanitize::to_json(&tree).unwrap();
    assert_eq!(String::from_utf8_lossy(&direct), printed, "{what}");
}

#[test]
fn direct_json_matches_the_printed_tree_for_every_fixture() {
    let mut sessions = 0;
    for (path, data) in gob_fixtures() {
        if let Decoded::Gob(s) = decode(&data) {
            assert_direct_json_is_the_tree_printed(&s, &path.display().to_string());
            sessions += 1;
        }
    }
    assert!(sessions >= 5, "only {sessions} fixtures are sessions");
}

#[test]
fn direct_json_sorts_dedups_and_escapes_like_the_tree() {
    let mut s = Session::new(SystemTime::UNIX_EPOCH);
    let texts = [
        "quote \" backslash \\ slash /",
        "controls \u{0}\u{1}\u{8}\u{9}\u{a}\u{c}\u{d}\u{1b}\u{1f}",
        "del \u{7f} c1 \u{85}\u{9b} bidi \u{202e}\u{2066}\u{200f}",
        "unicode é ✓ 𝄞",
    ];
    for (i, t) in texts.iter().enumerate() {
        s.values.push((
            format!("k{i} \u{202e}").into(),
            Some(Iface::new(
                "string",
                STRING,
                Value::String(t.as_bytes().into()),
            )),
        ));
    }
    s.values
        .push(("dup".into(), Some(Iface::new("int", INT, Value::Int(1)))));
    s.values
        .push(("Dup".into(), Some(Iface::new("int", INT, Value::Int(2)))));
    s.values
        .push(("dup".into(), Some(Iface::new("int", INT, Value::Int(3)))));
    s.values.push((
        "bad utf8".into(),
        Some(Iface::new(
            "string",
            STRING,
            Value::String([0xff, b'a'].as_slice().into()),
        )),
    ));
    for (i, f) in [
        0.0,
        -0.0,
        1.5,
        1e300,
        5e-324,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1.0,
        100.0,
    ]
    .into_iter()
    .enumerate()
    {
        s.values.push((
            format!("f{i}").into(),
            Some(Iface::new("float64", FLOAT, Value::Float(f))),
        ));
    }
    s.values.push((
        "c".into(),
        Some(Iface::new(
            "complex128",
            COMPLEX,
            Value::Complex(1.0, f64::NAN),
        )),
    ));
    s.values.push((
        "min".into(),
        Some(Iface::new("int", INT, Value::Int(i64::MIN))),
    ));
    s.values.push((
        "max".into(),
        Some(Iface::new("uint", UINT, Value::Uint(u64::MAX))),
    ));
    s.values.push(("nil".into(), None));
    s.values
        .push(("".into(), Some(Iface::new("bool", BOOL, Value::Bool(true)))));
    assert_direct_json_is_the_tree_printed(&s, "hand-made");
    let tree = s.values_json();
    assert_eq!(
        tree["dup"]["value"],
        json!(3),
        "the last of repeated keys wins"
    );
    assert_eq!(tree["f5"]["value"], json!("NaN"));
    assert_eq!(tree["bad utf8"]["value"], json!({"bytes": "/2E="}));
}

#[test]
fn pseudo_random_input_never_panics() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let seed = include_bytes!("../../tests/fixtures/gob/realistic_session.gob");
    for round in 0..20_000 {
        let mut b = seed.to_vec();
        for _ in 0..1 + round % 8 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let at = (x as usize) % b.len();
            b[at] = (x >> 32) as u8;
        }
        let _ = decode(&b);
    }
}

#[test]
fn text_marshaler_values_show_their_text_and_round_trip() {
    let mut types = Types::new();
    types.insert(
        70,
        WireType {
            name: "Color".into(),
            kind: Kind::Marshaled(Marshal::Text),
        },
    );
    let iface = Iface {
        name: "main.Color".into(),
        ty: 70,
        value: Value::Marshaled(b"#12abff".to_vec()),
        types: Some(Arc::new(types)),
    };
    let values = vec![("c".to_owned(), Value::Interface(Some(Box::new(iface))))];
    let blob = encode(std::time::UNIX_EPOCH, &values).unwrap();
    let Decoded::Gob(s) = decode(&blob) else {
        panic!()
    };
    assert_eq!(
        s.values_json()["c"],
        serde_json::json!({"type": "main.Color", "value": "#12abff"})
    );
    assert_eq!(s.encode().unwrap(), blob);
}

#[test]
fn encoder_rejects_values_that_do_not_fit_their_type() {
    let bad = vec![(
        "k".to_owned(),
        Value::iface("int", INT, Value::String(b"x"[..].into())),
    )];
    assert!(matches!(
        encode(std::time::UNIX_EPOCH, &bad),
        Err(EncodeError::Mismatch { .. })
    ));
    let unknown = vec![(
        "k".to_owned(),
        Value::iface("main.X", 99, Value::Struct(vec![])),
    )];
    assert_eq!(
        encode(std::time::UNIX_EPOCH, &unknown),
        Err(EncodeError::UnknownType(99))
    );
}
