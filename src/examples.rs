//! Examples of each command, in one place: `--help` prints them as text, the man pages as
//! roff.

/// A few commands with a sentence saying what they do.
pub struct Example {
    /// What the commands below do, or `None`.
    pub intro: Option<&'static str>,
    /// Command lines, as typed.
    pub lines: &'static [&'static str],
}

const ROOT: &[Example] = &[
    Example {
        intro: Some("Create the table, then look at a session:"),
        lines: &[
            "scsctl -d postgres://app@db/app init-schema",
            "scsctl get 'V5qN...'",
        ],
    },
    Example {
        intro: Some(
            "Purge expired sessions every night from cron, printing nothing unless it fails:",
        ),
        lines: &[
            "15 3 * * * PGPASSFILE=/etc/scsctl/pgpass PGHOST=db PGUSER=scsctl_cleaner PGDATABASE=app /usr/local/bin/scsctl purge -q",
        ],
    },
];

const INIT_SCHEMA: &[Example] = &[Example {
    intro: None,
    lines: &[
        "scsctl init-schema --dry-run",
        "scsctl init-schema --table app.sessions --grant webapp",
        "scsctl init-schema --partitions 16",
    ],
}];

const GET: &[Example] = &[Example {
    intro: None,
    lines: &[
        "scsctl get 'V5qN...'",
        "scsctl get -o json 'V5qN...' | jq .values",
        "scsctl get --raw 'V5qN...' > session.gob",
    ],
}];

const PUT: &[Example] = &[Example {
    intro: None,
    lines: &[
        "T=$(scsctl put --new-token --ttl 1h --set userID:int=42)",
        "scsctl put \"$T\" --ttl 24h --merge --set role=admin",
        "scsctl put \"$T\" --expires-at 2030-01-01T00:00:00Z --data-file session.gob",
        "scsctl put \"$T\" --ttl 1h --merge --set 'flash:msg:string=hi'",
    ],
}];

const DELETE: &[Example] = &[Example {
    intro: None,
    lines: &[
        "scsctl delete 'V5qN...'",
        "cut -f1 revoked.txt | scsctl delete -",
        "scsctl delete --where user.ID=42 --dry-run",
        "scsctl delete --expired",
    ],
}];

const LIST: &[Example] = &[Example {
    intro: None,
    lines: &[
        "scsctl list --limit 20",
        "scsctl list --state all -o ndjson | jq -c .",
        "scsctl list --values --where userID:int=42",
    ],
}];

const PURGE: &[Example] = &[
    Example {
        intro: Some("From cron, nightly, silent unless it fails:"),
        lines: &[
            "15 3 * * * PGPASSFILE=/etc/scsctl/pgpass PGHOST=db PGUSER=scsctl_cleaner PGDATABASE=app /usr/local/bin/scsctl purge -q --max-duration 10m",
        ],
    },
    Example {
        intro: Some(
            "See what would go, and how each table or partition would be read (a systemd service and timer are in the source's contrib/systemd):",
        ),
        lines: &["scsctl purge --dry-run --grace 1h"],
    },
];

const WATCH_CLEANUP: &[Example] = &[
    Example {
        intro: Some("In the foreground, one JSON log line per pass:"),
        lines: &["scsctl watch-cleanup --interval 5m --log-format json"],
    },
    Example {
        intro: Some(
            "As a systemd service (several hosts may run it; one cleans at a time): the source's contrib/systemd has the full, hardened unit, with the password file passed as a credential:",
        ),
        lines: &[
            "ExecStart=/usr/local/bin/scsctl watch-cleanup --interval 5m --log-format json",
            "LoadCredential=pgpass:/etc/scsctl/pgpass",
            "Environment=PGPASSFILE=%d/pgpass",
        ],
    },
];

const STATS: &[Example] = &[Example {
    intro: None,
    lines: &[
        "scsctl stats",
        "scsctl stats -v",
        "scsctl stats -o json | jq .expired",
    ],
}];

const TYPES: &[Example] = &[
    Example {
        intro: Some("Which Go types the sessions hold, and which the app no longer registers:"),
        lines: &[
            "scsctl types",
            "scsctl types --registered @registered.txt -o json | jq '.types[] | select(.registered == false)'",
        ],
    },
    Example {
        intro: Some("The sessions the app cannot decode:"),
        lines: &["scsctl list --registered main.Cart,models.User --undecodable"],
    },
];

const RENAME_TYPE: &[Example] = &[Example {
    intro: Some(
        "After a deploy moved main.User to models.User, repair the sessions that hold the old name:",
    ),
    lines: &[
        "scsctl rename-type main.User models.User --dry-run",
        "scsctl rename-type main.User models.User",
    ],
}];

const MIGRATE: &[Example] = &[
    Example {
        intro: Some(
            "Stop-and-switch: stop the app, then (and start it again with HashTokenInStore = true):",
        ),
        lines: &[
            "scsctl migrate hash-tokens --dry-run",
            "scsctl migrate hash-tokens",
        ],
    },
    Example {
        intro: Some(
            "Rolling, the app running: copy, roll out the app with HashTokenInStore = true on every instance, then finish (hashing is one-way: there is no unhash):",
        ),
        lines: &[
            "scsctl migrate hash-tokens --copy",
            "scsctl migrate hash-tokens --finish",
        ],
    },
];

const COMPLETIONS: &[Example] = &[Example {
    intro: None,
    lines: &[
        "scsctl completions bash > /etc/bash_completion.d/scsctl",
        "scsctl completions zsh > \"${fpath[1]}/_scsctl\"",
    ],
}];

const MAN: &[Example] = &[Example {
    intro: None,
    lines: &[
        "scsctl man /usr/local/share/man/man1",
        "scsctl man - | man -l -",
    ],
}];

/// The examples of `scsctl` (`None`) or of one subcommand.
pub fn of(sub: Option<&str>) -> &'static [Example] {
    match sub {
        None => ROOT,
        Some("init-schema") => INIT_SCHEMA,
        Some("get") => GET,
        Some("put") => PUT,
        Some("delete") => DELETE,
        Some("list") => LIST,
        Some("purge") => PURGE,
        Some("watch-cleanup") => WATCH_CLEANUP,
        Some("stats") => STATS,
        Some("types") => TYPES,
        Some("rename-type") => RENAME_TYPE,
        Some("migrate" | "migrate hash-tokens") => MIGRATE,
        Some("completions") => COMPLETIONS,
        Some("man") => MAN,
        Some(_) => &[],
    }
}

/// The examples as plain text for `--help`: `Examples:` and the lines, indented.
pub fn help_text(sub: Option<&str>) -> Option<String> {
    let examples = of(sub);
    if examples.is_empty() {
        return None;
    }
    let mut text = String::from("Examples:\n");
    for (i, example) in examples.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        if let Some(intro) = example.intro {
            text.push_str(&format!("  {intro}\n"));
        }
        for line in example.lines {
            text.push_str(&format!("    {line}\n"));
        }
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_has_examples() {
        for sub in crate::cli::command().get_subcommands() {
            assert!(!of(Some(sub.get_name())).is_empty(), "{}", sub.get_name());
        }
        assert!(help_text(None).unwrap().starts_with("Examples:\n"));
    }
}
