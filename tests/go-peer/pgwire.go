package main

// A minimal PostgreSQL client (frontend/backend protocol 3.0), so that the standard-library-only
// peer can run an SCS store's statements on a real server: plain TCP or a Unix socket (no TLS),
// SCRAM-SHA-256, md5 or cleartext password authentication, and the extended query protocol with
// an unnamed statement and text-format parameters and results.

import (
	"bufio"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// connConfig is what a connection needs; parsed from a postgres:// URL or key=value conninfo.
type connConfig struct {
	host     string // a host name or address, or a Unix socket directory when it starts with '/'
	port     string
	user     string
	password string
	database string
}

// parseConnString accepts postgres://user:password@host:port/dbname?sslmode=disable and
// libpq's key=value form (values optionally single-quoted, with backslash escapes).
// TLS is not supported: sslmode must be absent, disable, allow or prefer.
func parseConnString(s string) (connConfig, error) {
	cfg := connConfig{host: "localhost", port: "5432"}
	params := map[string]string{}
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		u, err := url.Parse(s)
		if err != nil {
			return cfg, fmt.Errorf("bad URL: %w", err)
		}
		if u.User != nil {
			params["user"] = u.User.Username()
			if pw, ok := u.User.Password(); ok {
				params["password"] = pw
			}
		}
		if h := u.Hostname(); h != "" {
			params["host"] = h
		}
		if p := u.Port(); p != "" {
			params["port"] = p
		}
		if db := strings.TrimPrefix(u.Path, "/"); db != "" {
			params["dbname"] = db
		}
		for k, vs := range u.Query() {
			params[k] = vs[len(vs)-1]
		}
	} else {
		var err error
		if params, err = parseConninfo(s); err != nil {
			return cfg, err
		}
	}
	for k, v := range params {
		switch k {
		case "host":
			cfg.host = v
		case "port":
			cfg.port = v
		case "user":
			cfg.user = v
		case "password":
			cfg.password = v
		case "dbname":
			cfg.database = v
		case "sslmode":
			if v != "disable" && v != "allow" && v != "prefer" {
				return cfg, fmt.Errorf("sslmode=%s: this client has no TLS", v)
			}
		case "connect_timeout", "application_name":
		default:
			return cfg, fmt.Errorf("unsupported connection parameter %q", k)
		}
	}
	if cfg.user == "" {
		return cfg, errors.New("no user in the connection string")
	}
	if cfg.database == "" {
		cfg.database = cfg.user
	}
	return cfg, nil
}

func parseConninfo(s string) (map[string]string, error) {
	out := map[string]string{}
	rest := strings.TrimSpace(s)
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("bad conninfo near %q", rest)
		}
		key := strings.TrimSpace(rest[:eq])
		rest = strings.TrimLeftFunc(rest[eq+1:], unicode.IsSpace)
		var val strings.Builder
		if strings.HasPrefix(rest, "'") {
			i := 1
			for ; i < len(rest) && rest[i] != '\''; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				val.WriteByte(rest[i])
			}
			if i == len(rest) {
				return nil, fmt.Errorf("unterminated quoted value for %q", key)
			}
			rest = rest[i+1:]
		} else {
			i := 0
			for ; i < len(rest) && !unicode.IsSpace(rune(rest[i])); i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				val.WriteByte(rest[i])
			}
			rest = rest[i:]
		}
		out[key] = val.String()
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
	}
	return out, nil
}

// PgError is an ErrorResponse from the server.
type PgError struct {
	Severity string
	Code     string // SQLSTATE
	Message  string
	Detail   string
}

func (e *PgError) Error() string {
	s := fmt.Sprintf("%s: %s (SQLSTATE %s)", e.Severity, e.Message, e.Code)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

type pgConn struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
}

// connect opens a session: startup, authentication, then waits for ReadyForQuery.
// DateStyle=ISO and TimeZone=UTC make timestamptz text predictable.
func connect(cfg connConfig) (*pgConn, error) {
	network, addr := "tcp", net.JoinHostPort(cfg.host, cfg.port)
	if strings.HasPrefix(cfg.host, "/") {
		network, addr = "unix", filepath.Join(cfg.host, ".s.PGSQL."+cfg.port)
	}
	nc, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c := &pgConn{conn: nc, r: bufio.NewReader(nc), w: bufio.NewWriter(nc)}
	if err := c.startup(cfg); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// Close sends Terminate and closes the socket.
func (c *pgConn) Close() error {
	c.send('X', nil)
	c.w.Flush()
	return c.conn.Close()
}

// ---- messages ----------------------------------------------------------------------------

type msgBuf []byte

func (b *msgBuf) int16(n int)   { *b = binary.BigEndian.AppendUint16(*b, uint16(n)) }
func (b *msgBuf) int32(n int)   { *b = binary.BigEndian.AppendUint32(*b, uint32(n)) }
func (b *msgBuf) cstr(s string) { *b = append(append(*b, s...), 0) }
func (b *msgBuf) bytes(p []byte) {
	*b = append(*b, p...)
}

// send buffers one message: type byte (none for the startup message), length, body.
func (c *pgConn) send(typ byte, body msgBuf) {
	if typ != 0 {
		c.w.WriteByte(typ)
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(body)+4))
	c.w.Write(n[:])
	c.w.Write(body)
}

// recv reads one backend message.
func (c *pgConn) recv() (byte, []byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(c.r, head[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(head[1:])) - 4
	if n < 0 || n > 1<<30 {
		return 0, nil, fmt.Errorf("bad message length %d", n+4)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return 0, nil, err
	}
	return head[0], body, nil
}

func parseError(body []byte) *PgError {
	e := &PgError{}
	for len(body) > 1 {
		field := body[0]
		end := 1
		for end < len(body) && body[end] != 0 {
			end++
		}
		val := string(body[1:end])
		switch field {
		case 'V':
			e.Severity = val
		case 'S':
			if e.Severity == "" {
				e.Severity = val
			}
		case 'C':
			e.Code = val
		case 'M':
			e.Message = val
		case 'D':
			e.Detail = val
		}
		if end >= len(body) {
			break
		}
		body = body[end+1:]
	}
	return e
}

// ---- startup and authentication ----------------------------------------------------------

func (c *pgConn) startup(cfg connConfig) error {
	var m msgBuf
	m.int32(3 << 16) // protocol 3.0
	for _, kv := range [][2]string{
		{"user", cfg.user},
		{"database", cfg.database},
		{"application_name", "go-peer"},
		{"client_encoding", "UTF8"},
		{"DateStyle", "ISO"},
		{"TimeZone", "UTC"},
		{"bytea_output", "hex"},
	} {
		m.cstr(kv[0])
		m.cstr(kv[1])
	}
	m = append(m, 0)
	c.send(0, m)
	if err := c.w.Flush(); err != nil {
		return err
	}
	var scram *scramClient
	for {
		typ, body, err := c.recv()
		if err != nil {
			return err
		}
		switch typ {
		case 'E':
			return parseError(body)
		case 'R':
			if len(body) < 4 {
				return errors.New("short authentication message")
			}
			code, data := binary.BigEndian.Uint32(body), body[4:]
			switch code {
			case 0: // AuthenticationOk
			case 3: // cleartext
				var p msgBuf
				p.cstr(cfg.password)
				c.send('p', p)
			case 5: // md5: "md5" + md5hex(md5hex(password + user) + salt)
				inner := md5.Sum([]byte(cfg.password + cfg.user))
				outer := md5.Sum(append([]byte(hex.EncodeToString(inner[:])), data[:4]...))
				var p msgBuf
				p.cstr("md5" + hex.EncodeToString(outer[:]))
				c.send('p', p)
			case 10: // SASL: a list of mechanisms
				if !strings.Contains(string(data), "SCRAM-SHA-256\x00") {
					return fmt.Errorf("no supported SASL mechanism in %q", data)
				}
				if scram, err = newScramClient("", cfg.password); err != nil {
					return err
				}
				first := scram.clientFirst()
				var p msgBuf
				p.cstr("SCRAM-SHA-256")
				p.int32(len(first))
				p.bytes([]byte(first))
				c.send('p', p)
			case 11: // SASLContinue: server-first-message
				if scram == nil {
					return errors.New("SASLContinue before SASL")
				}
				final, err := scram.clientFinal(string(data))
				if err != nil {
					return err
				}
				c.send('p', msgBuf(final))
			case 12: // SASLFinal: server-final-message
				if scram == nil {
					return errors.New("SASLFinal before SASL")
				}
				if err := scram.verifyServerFinal(string(data)); err != nil {
					return err
				}
			default:
				return fmt.Errorf("unsupported authentication method %d", code)
			}
			if err := c.w.Flush(); err != nil {
				return err
			}
		case 'Z':
			if scram != nil && !scram.verified {
				return errors.New("SCRAM: the server never proved it knows the password")
			}
			return nil
		case 'S', 'K', 'N', 'v': // ParameterStatus, BackendKeyData, notices, protocol negotiation
		default:
			return fmt.Errorf("unexpected message %q during startup", typ)
		}
	}
}

// scramClient runs SCRAM-SHA-256 (RFC 5802/7677) without channel binding.
type scramClient struct {
	user, password string
	nonce          string
	firstBare      string
	serverSig      []byte
	verified       bool
}

func newScramClient(user, password string) (*scramClient, error) {
	raw := make([]byte, 18)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	return &scramClient{user: user, password: password, nonce: base64.StdEncoding.EncodeToString(raw)}, nil
}

// clientFirst is the client-first-message. PostgreSQL ignores the SCRAM user name (it uses the
// startup message's), so libpq, and we, send an empty one.
func (s *scramClient) clientFirst() string {
	s.firstBare = "n=" + s.user + ",r=" + s.nonce
	return "n,," + s.firstBare
}

// clientFinal answers the server-first-message with the proof of the password.
func (s *scramClient) clientFinal(serverFirst string) (string, error) {
	attrs := scramAttrs(serverFirst)
	nonce, salt64, iters := attrs["r"], attrs["s"], attrs["i"]
	if !strings.HasPrefix(nonce, s.nonce) || len(nonce) == len(s.nonce) {
		return "", errors.New("SCRAM: the server's nonce does not extend ours")
	}
	salt, err := base64.StdEncoding.DecodeString(salt64)
	if err != nil {
		return "", fmt.Errorf("SCRAM: bad salt: %w", err)
	}
	n, err := strconv.Atoi(iters)
	if err != nil || n < 1 {
		return "", fmt.Errorf("SCRAM: bad iteration count %q", iters)
	}
	salted := pbkdf2SHA256([]byte(s.password), salt, n, sha256.Size)
	clientKey := hmacSHA256(salted, []byte("Client Key"))
	storedKey := sha256.Sum256(clientKey)
	withoutProof := "c=biws,r=" + nonce // biws = base64("n,,")
	authMessage := []byte(s.firstBare + "," + serverFirst + "," + withoutProof)
	proof := hmacSHA256(storedKey[:], authMessage)
	for i := range proof {
		proof[i] ^= clientKey[i]
	}
	s.serverSig = hmacSHA256(hmacSHA256(salted, []byte("Server Key")), authMessage)
	return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof), nil
}

// verifyServerFinal checks that the server knows the password too.
func (s *scramClient) verifyServerFinal(serverFinal string) error {
	attrs := scramAttrs(serverFinal)
	if e, ok := attrs["e"]; ok {
		return fmt.Errorf("SCRAM: server error %q", e)
	}
	sig, err := base64.StdEncoding.DecodeString(attrs["v"])
	if err != nil || s.serverSig == nil || !hmac.Equal(sig, s.serverSig) {
		return errors.New("SCRAM: wrong server signature")
	}
	s.verified = true
	return nil
}

func scramAttrs(msg string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(msg, ",") {
		if len(part) >= 2 && part[1] == '=' {
			out[part[:1]] = part[2:]
		}
	}
	return out
}

func hmacSHA256(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

// pbkdf2SHA256 is PBKDF2 (RFC 8018) with HMAC-SHA-256 as the PRF.
func pbkdf2SHA256(password, salt []byte, iterations, keyLen int) []byte {
	var out []byte
	for block := 1; len(out) < keyLen; block++ {
		prf := hmac.New(sha256.New, password)
		prf.Write(salt)
		prf.Write(binary.BigEndian.AppendUint32(nil, uint32(block)))
		u := prf.Sum(nil)
		t := append([]byte(nil), u...)
		for i := 1; i < iterations; i++ {
			prf.Reset()
			prf.Write(u)
			u = prf.Sum(u[:0])
			for j := range t {
				t[j] ^= u[j]
			}
		}
		out = append(out, t...)
	}
	return out[:keyLen]
}

// ---- extended query protocol -------------------------------------------------------------

// result is what one statement returned: its rows (text format; a nil field is NULL) and the
// CommandComplete tag, e.g. "DELETE 3".
type result struct {
	rows [][][]byte
	tag  string
}

// rowsAffected is the count at the end of the command tag.
func (r *result) rowsAffected() int64 {
	i := strings.LastIndexByte(r.tag, ' ')
	n, _ := strconv.ParseInt(r.tag[i+1:], 10, 64)
	return n
}

// query runs one statement with Parse/Bind/Execute/Sync on the unnamed statement and portal.
// Parameter types are left to the server to infer; values go as text: nil is NULL, []byte is
// bytea hex (\x...), time.Time is RFC 3339 with nanoseconds (the server rounds to microseconds).
func (c *pgConn) query(sql string, args ...interface{}) (*result, error) {
	var b msgBuf
	b.cstr("")
	b.cstr("")
	b.int16(0) // every parameter in text format
	b.int16(len(args))
	for _, a := range args {
		text, null, err := textParam(a)
		if err != nil {
			return nil, err
		}
		if null {
			b.int32(-1)
			continue
		}
		b.int32(len(text))
		b.bytes([]byte(text))
	}
	b.int16(0) // every result column in text format

	var p msgBuf
	p.cstr("")
	p.cstr(sql)
	p.int16(0)
	c.send('P', p)
	c.send('B', b)

	var e msgBuf
	e.cstr("")
	e.int32(0) // no row limit
	c.send('E', e)
	c.send('S', nil)
	if err := c.w.Flush(); err != nil {
		return nil, err
	}

	res := &result{}
	var qerr error
	for {
		typ, body, err := c.recv()
		if err != nil {
			return nil, err
		}
		switch typ {
		case 'D':
			row, err := parseDataRow(body)
			if err != nil {
				return nil, err
			}
			res.rows = append(res.rows, row)
		case 'C':
			res.tag = strings.TrimRight(string(body), "\x00")
		case 'E':
			qerr = parseError(body) // the server skips to Sync; keep reading until ReadyForQuery
		case 'Z':
			if qerr != nil {
				return nil, qerr
			}
			return res, nil
		case '1', '2', 'n', 'I', 's', 'N', 'S', 'A', 'T': // completions, notices, status
		default:
			return nil, fmt.Errorf("unexpected message %q", typ)
		}
	}
}

func parseDataRow(body []byte) ([][]byte, error) {
	if len(body) < 2 {
		return nil, errors.New("short DataRow")
	}
	n := int(binary.BigEndian.Uint16(body))
	body = body[2:]
	row := make([][]byte, n)
	for i := range row {
		if len(body) < 4 {
			return nil, errors.New("short DataRow")
		}
		size := int32(binary.BigEndian.Uint32(body))
		body = body[4:]
		if size < 0 {
			continue
		}
		if int(size) > len(body) {
			return nil, errors.New("short DataRow")
		}
		row[i] = body[:size]
		body = body[size:]
	}
	return row, nil
}

func textParam(a interface{}) (string, bool, error) {
	switch v := a.(type) {
	case nil:
		return "", true, nil
	case string:
		return v, false, nil
	case []byte:
		return `\x` + hex.EncodeToString(v), false, nil
	case time.Time:
		return v.Format(time.RFC3339Nano), false, nil
	case int:
		return strconv.Itoa(v), false, nil
	case int64:
		return strconv.FormatInt(v, 10), false, nil
	case bool:
		return strconv.FormatBool(v), false, nil
	}
	return "", false, fmt.Errorf("unsupported parameter type %T", a)
}

// textBytea reads a bytea column in hex output format.
func textBytea(field []byte) ([]byte, error) {
	if len(field) < 2 || field[0] != '\\' || field[1] != 'x' {
		return nil, fmt.Errorf("bytea not in hex format: %.20q", field)
	}
	return hex.DecodeString(string(field[2:]))
}

// textTimestamptz reads a timestamptz column under DateStyle=ISO, TimeZone=UTC
// ("2024-01-02 03:04:05.123456+00").
func textTimestamptz(field []byte) (time.Time, error) {
	return time.Parse("2006-01-02 15:04:05.999999999Z07", string(field))
}
