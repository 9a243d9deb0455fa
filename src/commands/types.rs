//! `scsctl types`: the census of Go type names the sessions hold, in one streamed pass.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::IsTerminal as _;
use std::ops::ControlFlow;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value as Json, json};

use super::open_store;
use crate::cli::{OutputFormat, TypesArgs};
use crate::config::{Config, Verbosity};
use crate::error::Result;
use crate::gob::names::{self, Registry};
use crate::gob::{Iface, Kind, TypeId, Types};
use crate::output::Output;
use crate::output::rows as view;
use crate::session::{self, Decoded};
use crate::store::State;

/// Keys listed per name; beyond, only their number.
const KEYS_SHOWN: usize = 16;

/// What the census knows of one name.
#[derive(Debug, Default)]
struct Entry {
    live: u64,
    expired: u64,
    keys: BTreeSet<String>,
    more_keys: bool,
    example: String,
    go_type: String,
    fields: Option<Vec<(String, String)>>,
}

/// Rows that are not SCS gob, by reason.
#[derive(Debug, Default)]
struct NotGob {
    count: u64,
    example: String,
}

/// Prints the census.
pub fn run(config: &Config, args: &TypesArgs, out: &mut Output) -> Result<()> {
    let registry = view::registry(&args.registry)?;
    let mut store = open_store(config, out)?;
    let bar = spinner(config);
    // (kind, name) → entry; kinds: "interface" (a registered name) and "struct" (a struct
    // type the data defines, by the name gob sends).
    let mut entries: BTreeMap<(&'static str, String), Entry> = BTreeMap::new();
    let mut not_gob: BTreeMap<String, NotGob> = BTreeMap::new();
    let mut sessions = 0u64;
    let mut seen: HashSet<(&'static str, String)> = HashSet::new();
    store.scan(State::All, None, |row| {
        sessions += 1;
        if let Some(bar) = &bar
            && sessions.is_multiple_of(4096)
        {
            bar.set_position(sessions);
        }
        let decoded = session::decode(&row.data);
        let Decoded::Gob(s) = &decoded else {
            let reason = match &decoded {
                Decoded::Corrupt(e) => format!("gob that cannot be decoded: {}", e.kind),
                Decoded::ScsV1Json { .. } => "SCS v1 JSON, not gob".to_owned(),
                _ => "not SCS gob data".to_owned(),
            };
            let n = not_gob.entry(reason).or_default();
            n.count += 1;
            if n.example.is_empty() {
                n.example = row.token.clone();
            }
            return Ok(ControlFlow::Continue(()));
        };
        seen.clear();
        let outer = s.types.as_deref();
        for (key, iface) in &s.values {
            if let Some(iface) = iface {
                census(iface, outer, key, &row, &mut entries, &mut seen);
            }
        }
        Ok(ControlFlow::Continue(()))
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let docs: Vec<Json> = entries
        .iter()
        .map(|((kind, name), e)| entry_json(kind, name, e, registry.as_ref()))
        .collect();
    let not_gob_docs: Vec<Json> = not_gob
        .iter()
        .map(|(reason, n)| json!({"reason": reason, "count": n.count, "example_token": n.example}))
        .collect();
    let not_gob_total: u64 = not_gob.values().map(|n| n.count).sum();
    if !out.shows_results() {
        return Ok(());
    }
    match out.format() {
        OutputFormat::Json => out.document(&json!({
            "sessions": sessions,
            "types": docs,
            "not_gob": {"count": not_gob_total, "reasons": not_gob_docs},
        })),
        OutputFormat::Ndjson => {
            for d in &docs {
                out.ndjson(d)?;
            }
            for d in &not_gob_docs {
                let mut d = d.clone();
                d["kind"] = json!("not_gob");
                out.ndjson(&d)?;
            }
            Ok(())
        }
        OutputFormat::Table => {
            let header = [
                "name",
                "kind",
                "live",
                "expired",
                "keys",
                "registered",
                "fields",
                "example",
            ];
            let rows: Vec<Vec<String>> = docs.iter().map(table_row).collect();
            out.table(&header, &rows)?;
            out.line(&format!(
                "{sessions} sessions; {not_gob_total} not gob{}",
                if not_gob_total > 0 { ":" } else { "" }
            ))?;
            for d in &not_gob_docs {
                out.line(&format!(
                    "  {} × {} (e.g. {})",
                    d["count"],
                    crate::sanitize::escape(d["reason"].as_str().unwrap_or_default()),
                    crate::sanitize::escape(d["example_token"].as_str().unwrap_or_default())
                ))?;
            }
            Ok(())
        }
    }
}

/// Records `iface` (found under `key`), the structs its type defines and the interface
/// values inside it.
fn census(
    iface: &Iface,
    outer: Option<&Types>,
    key: &str,
    row: &crate::store::SessionRow,
    entries: &mut BTreeMap<(&'static str, String), Entry>,
    seen: &mut HashSet<(&'static str, String)>,
) {
    let table = iface.table(outer);
    let mut note = |kind: &'static str, name: String, ty: TypeId| {
        let e = entries.entry((kind, name.clone())).or_default();
        if e.example.is_empty() {
            e.example = row.token.clone();
            e.go_type = names::type_name(table, ty);
            e.fields = names::struct_fields(table, ty);
        }
        if !e.keys.contains(key) {
            if e.keys.len() < KEYS_SHOWN {
                e.keys.insert(key.to_owned());
            } else {
                e.more_keys = true;
            }
        }
        if seen.insert((kind, name)) {
            if row.live {
                e.live += 1;
            } else {
                e.expired += 1;
            }
        }
    };
    note("interface", iface.name.to_string(), iface.ty);
    let mut structs = Vec::new();
    reachable_structs(table, iface.ty, &mut structs);
    for ty in structs {
        if let Some(def) = table.and_then(|t| t.get(ty)) {
            note("struct", def.name.clone(), ty);
        }
    }
    view::each_iface(&iface.value, &mut |inner| {
        census(inner, table, key, row, entries, seen);
    });
}

/// The struct types reachable from `ty` through fields, elements, keys and values.
fn reachable_structs(types: Option<&Types>, ty: TypeId, out: &mut Vec<TypeId>) {
    let Some(def) = types.and_then(|t| t.get(ty)) else {
        return;
    };
    match &def.kind {
        Kind::Struct { fields } => {
            if out.contains(&ty) || out.len() > 64 {
                return;
            }
            out.push(ty);
            for f in fields {
                reachable_structs(types, f.id, out);
            }
        }
        Kind::Slice { elem } | Kind::Array { elem, .. } => reachable_structs(types, *elem, out),
        Kind::Map { key, elem } => {
            reachable_structs(types, *key, out);
            reachable_structs(types, *elem, out);
        }
        Kind::Marshaled(_) => {}
    }
}

fn entry_json(kind: &str, name: &str, e: &Entry, registry: Option<&Registry>) -> Json {
    let interface = kind == "interface";
    json!({
        "kind": kind,
        "name": name,
        "live": e.live,
        "expired": e.expired,
        "sessions": e.live + e.expired,
        "keys": e.keys,
        "more_keys": e.more_keys,
        "example_token": e.example,
        "go_type": e.go_type,
        "fields": e.fields.as_ref().map(|f| f.iter().map(|(n, t)| json!({"name": n, "type": t})).collect::<Vec<_>>()),
        "registered_by_default": interface && names::registered_by_default(name),
        "registered": match registry {
            Some(r) if interface => json!(r.knows(name)),
            _ => Json::Null,
        },
    })
}

fn table_row(d: &Json) -> Vec<String> {
    let s = |v: &Json| v.as_str().unwrap_or_default().to_owned();
    let keys: Vec<String> = d["keys"]
        .as_array()
        .map(|a| a.iter().map(s).collect())
        .unwrap_or_default();
    let fields = d["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| format!("{} {}", s(&f["name"]), s(&f["type"])))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    let registered = match (&d["registered"], d["registered_by_default"].as_bool()) {
        (_, Some(true)) => "by default".to_owned(),
        (Json::Bool(true), _) => "yes".to_owned(),
        (Json::Bool(false), _) => "NO".to_owned(),
        _ => String::new(),
    };
    vec![
        s(&d["name"]),
        s(&d["kind"]),
        d["live"].to_string(),
        d["expired"].to_string(),
        keys.join(", ") + if d["more_keys"] == true { ", …" } else { "" },
        registered,
        fields,
        s(&d["example_token"]),
    ]
}

fn spinner(config: &Config) -> Option<ProgressBar> {
    if config.verbosity == Verbosity::Quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {human_pos} sessions read  {per_sec}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}
