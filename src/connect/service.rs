//! Connection service files (`pg_service.conf`), as libpq reads them.
//!
//! A service is named by `service=NAME` in the connection string (`?service=NAME` in a URL),
//! else by `PGSERVICE`. Its section is looked for in the user's file (`PGSERVICEFILE`, else
//! `~/.pg_service.conf`), then in the system file (`PGSYSCONFDIR/pg_service.conf`, else
//! Debian's `/etc/postgresql-common/pg_service.conf`); the first file holding a `[NAME]`
//! section wins, and the first such section in it. Its settings fill every key the connection
//! string left unset, before the `PG*` environment does.
//!
//! The format: `#` comments and blank lines are ignored, `[name]` starts a section, and inside
//! the wanted section each line is `key=value` (spaces around the key and the value are
//! trimmed; the value is taken as is, without quotes or escapes; the first line for a key
//! wins). Lines of other sections are not looked at. A missing `=`, an unknown key or a nested
//! `service=` in the wanted section is a usage error naming the file and line, as is a
//! service found in neither file (libpq's `definition of service "x" not found`).

use std::path::{Path, PathBuf};

use super::Env;
use super::conninfo::{self, Params};
use crate::error::{Error, Result};

/// Where the system file is when `PGSYSCONFDIR` is not set: Debian's libpq looks here.
const DEFAULT_SYSCONFDIR: &str = "/etc/postgresql-common";

/// The settings of the service a connection string or `PGSERVICE` names.
#[derive(Debug, Clone)]
pub(super) struct Service {
    /// The service's name.
    pub(super) name: String,
    /// The file its section was found in.
    pub(super) path: PathBuf,
    /// Its settings.
    pub(super) params: Params,
}

/// The service named by `params` (its `service` key) or by `PGSERVICE`, if any.
pub(super) fn find(params: &Params, env: &Env) -> Result<Option<Service>> {
    let Some(name) = params
        .get("service")
        .filter(|name| !name.is_empty())
        .or_else(|| env.get("PGSERVICE"))
    else {
        return Ok(None);
    };
    let files = files(env);
    for path in &files {
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Error::io(
                    format!("cannot read the service file \"{}\"", path.display()),
                    e,
                ));
            }
        };
        if let Some(params) = parse(&text, name, path)? {
            return Ok(Some(Service {
                name: name.to_owned(),
                path: path.clone(),
                params,
            }));
        }
    }
    let looked = files
        .iter()
        .map(|p| format!("\"{}\"", p.display()))
        .collect::<Vec<_>>()
        .join(" or ");
    Err(Error::Usage(format!(
        "definition of service \"{name}\" not found in {looked}"
    )))
}

/// The files searched, in order: the user's, then the system's.
fn files(env: &Env) -> Vec<PathBuf> {
    let mut files = Vec::with_capacity(2);
    match env.get("PGSERVICEFILE") {
        Some(path) => files.push(PathBuf::from(path)),
        None => files.extend(env.home().map(|home| home.join(".pg_service.conf"))),
    }
    let sysconfdir = env.get("PGSYSCONFDIR").unwrap_or(DEFAULT_SYSCONFDIR);
    files.push(Path::new(sysconfdir).join("pg_service.conf"));
    files
}

/// The settings of section `[name]` in the text of a service file, or `None` when the file
/// has no such section. `path` is for error messages.
pub(super) fn parse(text: &str, name: &str, path: &Path) -> Result<Option<Params>> {
    let mut found: Option<Params> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("service file \"{}\", line {}", path.display(), index + 1);
        if let Some(section) = line.strip_prefix('[') {
            if found.is_some() {
                break; // the wanted section ends here
            }
            let Some((section, _)) = section.split_once(']') else {
                return Err(Error::Usage(format!(
                    "syntax error in {}: missing \"]\"",
                    at()
                )));
            };
            if section.trim() == name {
                found = Some(Params::default());
            }
            continue;
        }
        let Some(params) = found.as_mut() else {
            continue; // a line of another section
        };
        let Some((key, value)) = line.split_once('=') else {
            return Err(Error::Usage(format!(
                "syntax error in {}: expected key=value",
                at()
            )));
        };
        let key = key.trim();
        if key == "service" {
            return Err(Error::Usage(format!(
                "nested service specifications are not supported, in {}",
                at()
            )));
        }
        if !conninfo::KEYS.contains(&key) {
            return Err(Error::Usage(format!(
                "invalid connection option \"{key}\" in {}",
                at()
            )));
        }
        if params.get(key).is_none() {
            params.set(key, value.trim().to_owned(), "the service file")?;
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(text: &str, name: &str) -> Option<Params> {
        parse(text, name, Path::new("/x/pg_service.conf")).unwrap()
    }

    fn usage(text: &str, name: &str) -> String {
        match parse(text, name, Path::new("/x/pg_service.conf")) {
            Err(Error::Usage(msg)) => msg,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn sections_comments_and_whitespace() {
        let text = "# a comment\n\n[other]\nhost=elsewhere\n  [app]  \n  host = db.example.com  \n\
                    port=6543\n# inside\ndbname=app db\nuser=\n[later]\nhost=no\n";
        let p = section(text, "app").unwrap();
        assert_eq!(p.get("host"), Some("db.example.com"));
        assert_eq!(p.get("port"), Some("6543"));
        assert_eq!(p.get("dbname"), Some("app db"));
        // An empty value is still set, as in a conninfo string.
        assert_eq!(p.get("user"), Some(""));
        assert_eq!(
            section(text, "other").unwrap().get("host"),
            Some("elsewhere")
        );
        assert!(section(text, "missing").is_none());
        // A section without settings is found all the same.
        assert_eq!(section("[empty]\n", "empty"), Some(Params::default()));
    }

    #[test]
    fn first_section_and_first_key_win() {
        let text = "[app]\nport=1\nport=2\n[app]\nport=3\nhost=h\n";
        let p = section(text, "app").unwrap();
        assert_eq!(p.get("port"), Some("1"));
        assert_eq!(p.get("host"), None);
    }

    #[test]
    fn values_are_taken_as_they_are() {
        let p = section("[s]\npassword=a'b\\c=d #e\r\noptions=-c x=y\n", "s").unwrap();
        assert_eq!(p.get("password"), Some("a'b\\c=d #e"));
        assert_eq!(p.get("options"), Some("-c x=y"));
    }

    #[test]
    fn errors_in_the_wanted_section_name_file_and_line() {
        let msg = usage("[s]\nhost\n", "s");
        assert_eq!(
            msg,
            "syntax error in service file \"/x/pg_service.conf\", line 2: expected key=value"
        );
        assert!(usage("\n[s]\nbogus=1\n", "s").contains("\"bogus\" in service file"));
        assert!(usage("[s]\nservice=t\n", "s").contains("nested service"));
        assert!(usage("[s\nhost=h\n", "s").contains("line 1: missing \"]\""));
        // Other sections are not looked at.
        assert!(section("[t]\nbogus\n[s]\nhost=h\n", "s").is_some());
    }

    fn dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("scsctl-service-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn user_file_before_system_file() {
        let dir = dir("files");
        let user = dir.join("user.conf");
        std::fs::write(&user, "[a]\nhost=user-a\n").unwrap();
        std::fs::write(
            dir.join("pg_service.conf"),
            "[a]\nhost=system-a\n[b]\nhost=system-b\n",
        )
        .unwrap();
        let env = |service: &str| {
            Env::from_vars([
                ("PGSERVICEFILE", user.to_str().unwrap()),
                ("PGSYSCONFDIR", dir.to_str().unwrap()),
                ("PGSERVICE", service),
            ])
        };
        let none = Params::default();
        let a = find(&none, &env("a")).unwrap().unwrap();
        assert_eq!(a.params.get("host"), Some("user-a"));
        assert_eq!(a.path, user);
        let b = find(&none, &env("b")).unwrap().unwrap();
        assert_eq!(b.params.get("host"), Some("system-b"));
        assert_eq!(b.name, "b");
        // The connection string's service beats PGSERVICE.
        let named = conninfo::parse("service=b").unwrap();
        let b = find(&named, &env("a")).unwrap().unwrap();
        assert_eq!(b.params.get("host"), Some("system-b"));
        assert!(find(&none, &env("")).unwrap().is_none());
        match find(&none, &env("c")) {
            Err(Error::Usage(msg)) => assert_eq!(
                msg,
                format!(
                    "definition of service \"c\" not found in \"{}\" or \"{}\"",
                    user.display(),
                    dir.join("pg_service.conf").display()
                )
            ),
            other => panic!("{other:?}"),
        }
        // ~/.pg_service.conf without PGSERVICEFILE; a missing file is skipped.
        std::fs::write(dir.join(".pg_service.conf"), "[h]\nport=7\n").unwrap();
        let home = Env::from_vars([
            ("HOME", dir.to_str().unwrap()),
            ("PGSYSCONFDIR", "/nonexistent"),
            ("PGSERVICE", "h"),
        ]);
        let h = find(&none, &home).unwrap().unwrap();
        assert_eq!(h.params.get("port"), Some("7"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
