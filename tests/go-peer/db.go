package main

// The db subcommand: an SCS app's store side, on a real table.

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

const dbUsage = `usage: go-peer db CONN [--table T] [--hash-tokens] OP ARGS...
  CONN: postgres://user:password@host:port/dbname?sslmode=disable, or key=value conninfo
  commit TOKEN TTL_SECONDS JSON_VALUES   encode a session as SCS does and Commit it
  commit-batch                           the same for each stdin line {"token","ttl_seconds","values"}
  find TOKEN...                          one JSON line per live session; exit 3 if any is missing
  delete TOKEN...                        Delete each; print how many rows went
  all                                    one JSON line per live session (stored tokens), by token
  cleanup                                postgresstore's expired-row cleanup; print rows deleted`

// errNotFound makes the process exit with status 3.
var errNotFound = errors.New("not found")

// errUsage makes the process exit with status 2.
type errUsage string

func (e errUsage) Error() string { return string(e) + "\n" + dbUsage }

func dbCommand(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) < 2 {
		return errUsage("missing arguments")
	}
	conn := args[0]
	fs := flag.NewFlagSet("db", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	table := fs.String("table", "sessions", "the sessions table, as SQL text")
	hash := fs.Bool("hash-tokens", false, "store SHA-256 hashes of tokens (HashTokenInStore)")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage(err.Error())
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return errUsage("missing OP")
	}
	op, opArgs := rest[0], rest[1:]
	want := map[string]func(int) bool{
		"commit":       func(n int) bool { return n == 3 },
		"commit-batch": func(n int) bool { return n == 0 },
		"find":         func(n int) bool { return n > 0 },
		"delete":       func(n int) bool { return n > 0 },
		"all":          func(n int) bool { return n == 0 },
		"cleanup":      func(n int) bool { return n == 0 },
	}
	if ok, known := want[op]; !known {
		return errUsage(fmt.Sprintf("unknown OP %q", op))
	} else if !ok(len(opArgs)) {
		return errUsage(fmt.Sprintf("wrong number of arguments for %s", op))
	}

	cfg, err := parseConnString(conn)
	if err != nil {
		return err
	}
	db, err := connect(cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer db.Close()
	s := &store{db: db, table: *table, hashTokens: *hash}

	switch op {
	case "commit":
		return commitJSON(s, opArgs[0], opArgs[1], opArgs[2])
	case "commit-batch":
		sc := bufio.NewScanner(stdin)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			var in struct {
				Token      string          `json:"token"`
				TTLSeconds json.Number     `json:"ttl_seconds"`
				Values     json.RawMessage `json:"values"`
			}
			if err := json.Unmarshal([]byte(line), &in); err != nil {
				return fmt.Errorf("bad line %q: %w", line, err)
			}
			if err := commitJSON(s, in.Token, in.TTLSeconds.String(), string(in.Values)); err != nil {
				return fmt.Errorf("%s: %w", in.Token, err)
			}
		}
		return sc.Err()
	case "find":
		missing := 0
		for _, token := range opArgs {
			b, found, err := s.Find(token)
			if err != nil {
				return err
			}
			if !found {
				fmt.Fprintf(os.Stderr, "go-peer: not found: %s\n", token)
				missing++
				continue
			}
			if err := printSession(stdout, token, b); err != nil {
				return err
			}
		}
		if missing > 0 {
			return errNotFound
		}
	case "delete":
		var total int64
		for _, token := range opArgs {
			n, err := s.Delete(token)
			if err != nil {
				return err
			}
			total += n
		}
		fmt.Fprintln(stdout, total)
	case "all":
		sessions, tokens, err := s.All()
		if err != nil {
			return err
		}
		for _, token := range tokens {
			if err := printSession(stdout, token, sessions[token]); err != nil {
				return err
			}
		}
	case "cleanup":
		n, err := s.DeleteExpired()
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, n)
	}
	return nil
}

// commitJSON makes a session as an app would (deadline = now + TTL, in UTC, as SCS's
// newSessionData does), encodes it with SCS's codec and commits it with expiry = deadline.
func commitJSON(s *store, token, ttlText, valuesJSON string) error {
	ttl, err := strconv.ParseFloat(ttlText, 64)
	if err != nil {
		return fmt.Errorf("bad TTL_SECONDS %q", ttlText)
	}
	values, err := parseValues(valuesJSON)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(time.Duration(ttl * float64(time.Second))).UTC()
	b, err := encodeSCS(deadline, values)
	if err != nil {
		return err
	}
	return s.Commit(token, b, deadline)
}

// parseValues maps a JSON object of simple values to what an app puts in a session: strings,
// bools, whole numbers as int and other numbers as float64.
func parseValues(text string) (map[string]interface{}, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var raw map[string]interface{}
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("bad JSON_VALUES: %w", err)
	}
	if raw == nil {
		return nil, errors.New("JSON_VALUES must be an object")
	}
	out := map[string]interface{}{}
	for k, v := range raw {
		switch v := v.(type) {
		case string, bool:
			out[k] = v
		case json.Number:
			if i, err := strconv.ParseInt(string(v), 10, 0); err == nil {
				out[k] = int(i)
			} else if f, err := v.Float64(); err == nil {
				out[k] = f
			} else {
				return nil, fmt.Errorf("value %q: %w", k, err)
			}
		default:
			return nil, fmt.Errorf("value %q: only strings, numbers and bools", k)
		}
	}
	return out, nil
}

// printSession prints {"token", "deadline", "values"} on one line, values in decode's shape.
func printSession(w io.Writer, token string, b []byte) error {
	deadline, values, err := decodeSCS(b)
	if err != nil {
		return fmt.Errorf("%s: %w", token, err)
	}
	v := view(deadline, values)
	v["token"] = token
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
