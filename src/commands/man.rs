//! `scsctl man DIR`: write `scsctl.1` and one page per subcommand, with EXIT STATUS,
//! ENVIRONMENT and EXAMPLES sections.

use std::io::Write;
use std::path::Path;

use crate::cli::command;
use crate::connect::ENV_VARS;
use crate::error::{Error, Result, exit};
use crate::output::Output;

/// Writes every man page into `args.dir`; `-` writes scsctl(1) to stdout instead (for
/// `scsctl man - | man -l -`). The directory is created when missing, but not its parents: a
/// typo should not leave a tree of new directories behind.
pub fn run(args: &crate::cli::ManArgs, out: &mut Output) -> Result<()> {
    if args.dir.as_os_str() == "-" {
        let (_, page) = pages()?.swap_remove(0);
        return out.raw(&page);
    }
    if !args.dir.is_dir() {
        let parent = args
            .dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !parent.is_dir() {
            return Err(Error::Usage(format!(
                "cannot write man pages to {}: {} is not a directory (create it first, or give `-` for stdout)",
                args.dir.display(),
                parent.display()
            )));
        }
        std::fs::create_dir(&args.dir)
            .map_err(|e| Error::io(format!("cannot create {}", args.dir.display()), e))?;
    }
    for (name, page) in pages()? {
        let path = args.dir.join(&name);
        write_file(&path, &page)?;
        out.verbose(&format!("wrote {}", path.display()));
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = std::fs::File::create(path)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    file.write_all(bytes)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// Every page as (file name, roff text): `scsctl.1` and `scsctl-<subcommand>.1`.
pub fn pages() -> Result<Vec<(String, Vec<u8>)>> {
    // Every subcommand has a page; `help` has none (`scsctl help X` is `scsctl X --help`).
    let root = command().disable_help_subcommand(true);
    let mut pages = vec![("scsctl.1".to_owned(), render(&root, "scsctl", None)?)];
    for sub in root.get_subcommands() {
        let short = sub.get_name().to_owned();
        let name = format!("scsctl-{short}");
        let page = sub
            .clone()
            .name(name.clone())
            .version(env!("CARGO_PKG_VERSION"));
        pages.push((format!("{name}.1"), render(&page, &name, Some(&short))?));
        // A group of subcommands (`migrate`) gets a page for each of its own too.
        for nested in sub.get_subcommands().filter(|n| n.get_name() != "help") {
            let short = format!("{short} {}", nested.get_name());
            let name = format!("scsctl-{}", short.replace(' ', "-"));
            let page = nested
                .clone()
                .name(name.clone())
                .version(env!("CARGO_PKG_VERSION"));
            pages.push((format!("{name}.1"), render(&page, &name, Some(&short))?));
        }
    }
    Ok(pages)
}

fn render(cmd: &clap::Command, name: &str, sub: Option<&str>) -> Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone())
        .title(name.to_uppercase())
        .section("1");
    let mut buf = Vec::new();
    let io = |e| Error::io("cannot render a man page", e);
    man.render_title(&mut buf).map_err(io)?;
    man.render_name_section(&mut buf).map_err(io)?;
    buf.extend_from_slice(synopsis(cmd, sub).as_bytes());
    man.render_description_section(&mut buf).map_err(io)?;
    man.render_options_section(&mut buf).map_err(io)?;
    if sub.is_none() || cmd.has_subcommands() {
        man.render_subcommands_section(&mut buf).map_err(io)?;
    }
    buf.extend_from_slice(exit_status().as_bytes());
    buf.extend_from_slice(environment().as_bytes());
    buf.extend_from_slice(examples(sub).as_bytes());
    let see_also = match sub {
        None => ".SH \"SEE ALSO\"\n\\fBpsql\\fR(1), \\fBpg_service.conf\\fR(5)\n".to_owned(),
        Some(_) => ".SH \"SEE ALSO\"\n\\fBscsctl\\fR(1)\n".to_owned(),
    };
    buf.extend_from_slice(see_also.as_bytes());
    man.render_version_section(&mut buf).map_err(io)?;
    Ok(buf)
}

/// The EXIT STATUS section, from [`exit::TABLE`], and how errors are reported.
fn exit_status() -> String {
    let mut text = String::from(".SH \"EXIT STATUS\"\n");
    for (code, _, meaning) in exit::TABLE {
        text.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff(meaning)));
    }
    text.push_str(ERRORS);
    text
}

const ERRORS: &str = r#".PP
An error is one line on stderr beginning \fBscsctl: error:\fR (usage errors too, followed by the usage lines), then, when there is one, a line beginning \fBhint:\fR (a failed authentication, a refused connection, a peer that is not PostgreSQL, or the server's own hint), then the server's detail. With \fB\-o json\fR or \fB\-o ndjson\fR the error is also a JSON object on stdout, on a line of its own: \fB{"error": ..., "exit_code": N}\fR, with \fB"hint"\fR, \fB"detail"\fR and \fB"sqlstate"\fR when there are. Warnings begin \fBscsctl: warning:\fR. A closed stdout ends a listing with exit 0; a closed stderr is survived.
"#;

/// The ENVIRONMENT section: the libpq variables from [`ENV_VARS`] (those sharing a meaning in
/// one entry), then the service file's and scsctl's own.
fn environment() -> String {
    let mut text = String::from(
        ".SH ENVIRONMENT\n.TP\n\\fBDATABASE_URL\\fR\nConnection URL or conninfo, as \\fB\\-\\-database\\-url\\fR.\n",
    );
    let mut vars = ENV_VARS.iter().peekable();
    while let Some((_, var, meaning)) = vars.next() {
        let mut names = vec![format!("\\fB{var}\\fR")];
        while let Some((_, next, _)) = vars.next_if(|(_, _, m)| m == meaning) {
            names.push(format!("\\fB{next}\\fR"));
        }
        text.push_str(&format!(".TP\n{}\n{}\n", names.join(", "), roff(meaning)));
    }
    text.push_str(OTHER_ENVIRONMENT);
    text
}

const OTHER_ENVIRONMENT: &str = r#".TP
\fBPGSERVICE\fR, \fBPGSERVICEFILE\fR, \fBPGSYSCONFDIR\fR
The connection service to use when the URL or conninfo names none (\fBservice=\fR\fIname\fR), the user's service file (default ~/.pg_service.conf) and the directory of the system's pg_service.conf (default /etc/postgresql\-common). The user's file is searched first; the service's settings fill what the URL leaves out, before the other PG* variables. An unknown service is a usage error.
.TP
\fBSCSCTL_TABLE\fR, \fBSCSCTL_OUTPUT\fR, \fBSCSCTL_HASHED_TOKENS\fR
As \fB\-\-table\fR, \fB\-\-output\fR and \fB\-\-hashed\-tokens\fR (set to 1).
.TP
\fBNO_COLOR\fR
When set and not empty, never colour the output.
"#;

/// Plain text with `code spans` as roff: the spans in bold, dashes and backslashes escaped, and
/// a leading dot or quote kept from being read as a roff request.
fn roff(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, part) in text.split('`').enumerate() {
        let escaped = part.replace('\\', "\\e").replace('-', "\\-");
        if i % 2 == 1 {
            out.push_str(&format!("\\fB{escaped}\\fR"));
        } else {
            out.push_str(&escaped);
        }
    }
    match out.chars().next() {
        Some('.') | Some('\'') => format!("\\&{out}"),
        _ => out,
    }
}

/// The EXAMPLES section, from [`crate::examples`], the same examples `--help` shows.
fn examples(sub: Option<&str>) -> String {
    let mut body = String::from(".SH EXAMPLES\n");
    for (i, example) in crate::examples::of(sub).iter().enumerate() {
        if i > 0 {
            body.push_str(".PP\n");
        }
        if let Some(intro) = example.intro {
            body.push_str(&format!("{}\n.PP\n", roff(intro)));
        }
        body.push_str(".nf\n");
        for line in example.lines {
            body.push_str(&roff(line));
            body.push('\n');
        }
        body.push_str(".fi\n");
    }
    body
}

/// A SYNOPSIS that runs as typed: `scsctl [global options] purge [--grace <DURATION>] …`, each
/// option with the value it takes.
fn synopsis(cmd: &clap::Command, sub: Option<&str>) -> String {
    let global = command();
    let words = |c: &clap::Command, globals: bool| -> Vec<String> {
        c.get_arguments()
            .filter(|a| !a.is_hide_set() && a.is_global_set() == globals)
            .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
            .map(|a| {
                let value = a
                    .get_value_names()
                    .and_then(|v| v.first())
                    .filter(|_| a.get_action().takes_values())
                    .map(|v| format!(" \\fI<{v}>\\fR"))
                    .unwrap_or_default();
                let repeat = if matches!(a.get_action(), clap::ArgAction::Append) {
                    "..."
                } else {
                    ""
                };
                if a.is_positional() {
                    let name = a
                        .get_value_names()
                        .and_then(|v| v.first())
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| a.get_id().to_string().to_uppercase());
                    if a.is_required_set() {
                        format!("\\fI<{name}>\\fR{repeat}")
                    } else {
                        format!("[\\fI<{name}>\\fR]{repeat}")
                    }
                } else {
                    let flag = match (a.get_long(), a.get_short()) {
                        (Some(long), _) => format!("\\fB\\-\\-{}\\fR", roff(long)),
                        (None, Some(short)) => format!("\\fB\\-{short}\\fR"),
                        (None, None) => a.get_id().to_string(),
                    };
                    format!("[{flag}{value}]{repeat}")
                }
            })
            .collect()
    };
    let mut line = vec!["\\fBscsctl\\fR".to_owned()];
    line.extend(words(&global, true));
    match sub {
        None => line.push("\\fICOMMAND\\fR [\\fIARGS\\fR]".to_owned()),
        Some(name) => {
            line.push(format!("\\fB{}\\fR", roff(name)));
            line.extend(words(cmd, false));
        }
    }
    format!(".SH SYNOPSIS\n{}\n", line.join(" "))
}
