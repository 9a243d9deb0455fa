//! A snapshot of what the connection path reads from its surroundings: environment variables,
//! the OS user and home directory, the default socket directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A snapshot of the environment variables the connection path reads, so that resolution is a
/// pure function of its inputs (and testable without touching the process environment).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
    os_user: Option<String>,
    home: Option<PathBuf>,
    socket_dir: Option<PathBuf>,
}

impl Env {
    /// Takes the current process environment; the OS user and home directory come from the
    /// password database for the effective user id (as libpq), then `USER`/`LOGNAME`/`HOME`.
    pub fn from_process() -> Env {
        // vars() would panic on a variable that is not UTF-8; such a one is not ours anyway.
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        let mut env = Env::from_vars(vars);
        if let Some((name, home)) = account() {
            env.os_user = Some(name);
            if env.home.is_none() {
                env.home = Some(home);
            }
        }
        env
    }

    /// Builds an environment from explicit pairs; the OS user is `USER` (or `LOGNAME`), the
    /// home directory `HOME`.
    pub fn from_vars<I, K, V>(vars: I) -> Env
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut env = Env {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            ..Env::default()
        };
        env.os_user = env.get("USER").or(env.get("LOGNAME")).map(str::to_owned);
        env.home = env.get("HOME").map(PathBuf::from);
        env
    }

    /// The same environment with another OS user name.
    pub fn with_os_user(mut self, name: impl Into<String>) -> Env {
        self.os_user = Some(name.into());
        self
    }

    /// The same environment with another default Unix socket directory (the one used when no
    /// host is given).
    pub fn with_default_socket_dir(mut self, dir: impl Into<PathBuf>) -> Env {
        self.socket_dir = Some(dir.into());
        self
    }

    /// The value of `name`, if set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The OS user name: the default user name.
    pub fn os_user(&self) -> Option<&str> {
        self.os_user.as_deref()
    }

    /// The home directory, where `.pgpass` and `.postgresql/` are looked for.
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }

    /// The Unix socket directory used when no host is given: `/var/run/postgresql` if it
    /// exists, else `/tmp` (unless set with [`Env::with_default_socket_dir`]).
    pub fn default_socket_dir(&self) -> PathBuf {
        if let Some(dir) = &self.socket_dir {
            return dir.clone();
        }
        let debian = Path::new("/var/run/postgresql");
        if debian.is_dir() {
            debian.to_owned()
        } else {
            PathBuf::from("/tmp")
        }
    }
}

/// The effective user's name and home directory from the password database.
#[allow(unsafe_code)]
fn account() -> Option<(String, PathBuf)> {
    use std::ffi::CStr;
    use std::os::unix::ffi::OsStrExt;

    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: an all-zero `passwd` is a valid value (null pointers, zero ids); it is only read
    // after getpwuid_r filled it in.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is to live, writable memory of the stated size; geteuid cannot fail.
    let rc = unsafe {
        libc::getpwuid_r(
            libc::geteuid(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() || pwd.pw_name.is_null() || pwd.pw_dir.is_null() {
        return None;
    }
    // SAFETY: on success pw_name and pw_dir point to NUL-terminated strings inside `buf`,
    // which outlives these borrows (they are copied out at once).
    let (name, dir) = unsafe { (CStr::from_ptr(pwd.pw_name), CStr::from_ptr(pwd.pw_dir)) };
    let name = name.to_str().ok()?.to_owned();
    let dir = PathBuf::from(std::ffi::OsStr::from_bytes(dir.to_bytes()));
    Some((name, dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_vars_takes_user_and_home() {
        let env = Env::from_vars([("USER", "alice"), ("HOME", "/home/alice"), ("PGPORT", "")]);
        assert_eq!(env.os_user(), Some("alice"));
        assert_eq!(env.home(), Some(Path::new("/home/alice")));
        assert_eq!(env.get("PGPORT"), None);
        let env = Env::from_vars([("LOGNAME", "bob")]);
        assert_eq!(env.os_user(), Some("bob"));
        assert_eq!(env.home(), None);
    }

    #[test]
    fn from_process_knows_the_os_user() {
        assert!(Env::from_process().os_user().is_some());
    }

    #[test]
    fn socket_dir_override() {
        let env = Env::default().with_default_socket_dir("/run/x");
        assert_eq!(env.default_socket_dir(), PathBuf::from("/run/x"));
    }
}
