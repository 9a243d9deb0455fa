//! The password file (`~/.pgpass`, `PGPASSFILE`, `passfile`) with libpq's rules: lines
//! `hostname:port:database:username:password`, `*` matches anything, `\:` and `\\` escape,
//! the first matching line wins, and a file others can read is ignored with a warning.

use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The lines of a password file, read once.
#[derive(Debug, Clone, Default)]
pub struct PassFile {
    path: PathBuf,
    entries: Vec<Entry>,
}

/// One line: four patterns (`None` is the `*` wildcard) and the password.
#[derive(Debug, Clone)]
struct Entry {
    patterns: [Option<String>; 4],
    password: String,
}

impl Entry {
    fn matches(&self, index: usize, value: &str) -> bool {
        self.patterns[index].as_deref().is_none_or(|p| p == value)
    }
}

/// What reading a password file gave.
#[derive(Debug)]
pub enum Loaded {
    /// The file was read (it may have no entries).
    File(PassFile),
    /// There is no file, or it cannot be opened; libpq says nothing in that case.
    Absent,
    /// The file exists but must not be used; the warning says why.
    Ignored(String),
}

/// Reads the password file at `path`, checking its type and permissions first as libpq does.
pub fn load(path: &Path) -> Loaded {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(_) => return Loaded::Absent,
    };
    let shown = path.display();
    if !meta.is_file() {
        return Loaded::Ignored(format!("password file \"{shown}\" is not a plain file"));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return Loaded::Ignored(format!(
            "password file \"{shown}\" has group or world access; permissions should be u=rw (0600) or less"
        ));
    }
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == ErrorKind::NotFound => return Loaded::Absent,
        Err(_) => return Loaded::Absent,
    };
    Loaded::File(PassFile::parse(path, &text))
}

impl PassFile {
    /// Parses the text of a password file; malformed lines (fewer than five fields) are skipped.
    pub fn parse(path: &Path, text: &str) -> PassFile {
        let entries = text
            .lines()
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(split_line)
            .collect();
        PassFile {
            path: path.to_owned(),
            entries,
        }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The password of the first line matching the connection, if any. `host` is the host name
    /// (or address) connected to; a Unix-socket connection passes `None` and matches `localhost`
    /// (and its socket directory spelled out).
    pub fn find(
        &self,
        host: Option<&str>,
        socket_dir: Option<&str>,
        port: u16,
        dbname: &str,
        user: &str,
    ) -> Option<&str> {
        let port = port.to_string();
        self.entries
            .iter()
            .find(|entry| {
                let host_ok = match host {
                    Some(host) => entry.matches(0, host),
                    None => {
                        entry.matches(0, "localhost")
                            || socket_dir.is_some_and(|dir| entry.matches(0, dir))
                    }
                };
                host_ok
                    && entry.matches(1, &port)
                    && entry.matches(2, dbname)
                    && entry.matches(3, user)
            })
            .map(|entry| entry.password.as_str())
    }
}

/// Splits one line into its fields, undoing `\` escapes; `None` when a field is missing.
/// Only an unescaped lone `*` is a wildcard (`\*` is a literal star, as in libpq).
fn split_line(line: &str) -> Option<Entry> {
    let mut fields: Vec<Option<String>> = Vec::with_capacity(4);
    let mut current = String::new();
    let mut raw_star = true;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                raw_star = false;
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            ':' if fields.len() < 4 => {
                let field = std::mem::take(&mut current);
                fields.push((!(raw_star && field == "*")).then_some(field));
                raw_star = true;
            }
            ':' => break, // libpq ends the password at the next unescaped colon
            c => current.push(c),
        }
    }
    let patterns = fields.try_into().ok()?;
    Some(Entry {
        patterns,
        password: current,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> PassFile {
        PassFile::parse(Path::new("/x/.pgpass"), text)
    }

    #[test]
    fn exact_match() {
        let f = file("db.example.com:5432:app:alice:pw1\n");
        assert_eq!(
            f.find(Some("db.example.com"), None, 5432, "app", "alice"),
            Some("pw1")
        );
        assert_eq!(
            f.find(Some("db.example.com"), None, 5433, "app", "alice"),
            None
        );
        assert_eq!(f.find(Some("other"), None, 5432, "app", "alice"), None);
        assert_eq!(
            f.find(Some("db.example.com"), None, 5432, "x", "alice"),
            None
        );
        assert_eq!(
            f.find(Some("db.example.com"), None, 5432, "app", "bob"),
            None
        );
    }

    #[test]
    fn wildcards_and_first_match_wins() {
        let f = file("# comment\n\nh:*:app:*:first\n*:*:*:*:second\nh:5432:app:alice:third\n");
        assert_eq!(f.find(Some("h"), None, 1, "app", "bob"), Some("first"));
        assert_eq!(f.find(Some("h"), None, 5432, "app", "alice"), Some("first"));
        assert_eq!(f.find(Some("z"), None, 5432, "db", "u"), Some("second"));
    }

    #[test]
    fn escapes() {
        let f = file("h\\:x:5432:d\\\\b:u:pa\\:ss\\\\word\nh:5432:db:u:a:b\n");
        assert_eq!(
            f.find(Some("h:x"), None, 5432, "d\\b", "u"),
            Some("pa:ss\\word")
        );
        // An unescaped colon ends the password.
        assert_eq!(f.find(Some("h"), None, 5432, "db", "u"), Some("a"));
        // An escaped star is a literal star, not a wildcard.
        let f = file("\\*:5432:db:u:pw\n");
        assert_eq!(f.find(Some("h"), None, 5432, "db", "u"), None);
        assert_eq!(f.find(Some("*"), None, 5432, "db", "u"), Some("pw"));
    }

    #[test]
    fn localhost_matches_socket_connections() {
        let f = file("localhost:5432:db:u:pw\r\n");
        assert_eq!(f.find(None, Some("/tmp"), 5432, "db", "u"), Some("pw"));
        assert_eq!(f.find(Some("localhost"), None, 5432, "db", "u"), Some("pw"));
        assert_eq!(f.find(Some("127.0.0.1"), None, 5432, "db", "u"), None);
        let f = file("/run/pg:5432:db:u:pw\n");
        assert_eq!(f.find(None, Some("/run/pg"), 5432, "db", "u"), Some("pw"));
    }

    #[test]
    fn short_lines_are_skipped() {
        let f = file("h:5432:db:u\nh:5432:db:u:ok\n");
        assert_eq!(f.find(Some("h"), None, 5432, "db", "u"), Some("ok"));
    }

    #[test]
    fn permissions_are_checked() {
        let dir = std::env::temp_dir().join(format!("scsctl-pgpass-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pgpass");
        std::fs::write(&path, "*:*:*:*:pw\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        match load(&path) {
            Loaded::Ignored(msg) => assert_eq!(
                msg,
                format!(
                    "password file \"{}\" has group or world access; permissions should be u=rw (0600) or less",
                    path.display()
                )
            ),
            other => panic!("{other:?}"),
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        match load(&path) {
            Loaded::File(f) => assert_eq!(f.find(Some("h"), None, 1, "d", "u"), Some("pw")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(load(&dir.join("missing")), Loaded::Absent));
        assert!(matches!(load(&dir), Loaded::Ignored(m) if m.contains("not a plain file")));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
