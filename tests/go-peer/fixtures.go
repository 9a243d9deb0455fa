package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

type fixture struct {
	name          string
	description   string
	values        map[string]interface{}
	deterministic bool
}

var deadline = time.Date(2030, 1, 2, 3, 4, 5, 123456789, time.UTC)

func one(name, desc, key string, v interface{}) fixture {
	return fixture{name, desc, map[string]interface{}{key: v}, true}
}

func fixtures() []fixture {
	nick := "zed"
	at := time.Date(2030, 1, 1, 3, 4, 5, 123456789, time.UTC)
	profile := Profile{
		Base:     Base{CreatedBy: "admin", Version: 3},
		Name:     "Zoë",
		Home:     Address{Street: "1 Main St", City: "Springfield", Zip: 12345},
		Previous: []Address{{City: "Shelbyville"}, {}},
		Tags:     []string{"a", ""},
		Scores:   map[string]int{"chess": 1200},
		Friends:  []User{{ID: 2, Email: "b@example.com"}, {ID: 3, Roles: []string{"x"}, Admin: true}},
		Birth:    time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC),
		Nick:     &nick,
		Ratio:    0.1,
		Any:      User{ID: 9},
		secret:   "not sent",
		internal: 7,
	}
	big := strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz ", 1_000_000/37+1)[:1_000_000]
	fs := []fixture{
		{"empty_values", "a fresh session: empty, non-nil Values", map[string]interface{}{}, true},
		one("int", "int", "userID", 42),
		one("int_min", "int at its minimum", "v", math.MinInt64),
		one("int8", "int8 minimum", "v", int8(math.MinInt8)),
		one("int16", "int16 maximum", "v", int16(math.MaxInt16)),
		one("int32", "int32 minimum", "v", int32(math.MinInt32)),
		one("int64_max", "int64 maximum", "v", int64(math.MaxInt64)),
		one("uint", "uint maximum", "v", uint(math.MaxUint64)),
		one("uint8", "uint8 maximum", "v", uint8(255)),
		one("uint16", "uint16", "v", uint16(65535)),
		one("uint32", "uint32 maximum", "v", uint32(math.MaxUint32)),
		one("uint64", "uint64 maximum", "v", uint64(math.MaxUint64)),
		one("uintptr", "uintptr", "v", uintptr(0xdeadbeef)),
		one("float32", "float32 0.1 (widened on the wire)", "v", float32(0.1)),
		one("float64", "float64", "v", 2.718281828459045),
		one("float64_tiny", "smallest subnormal float64", "v", math.SmallestNonzeroFloat64),
		one("float64_big", "largest float64", "v", math.MaxFloat64),
		one("float64_negzero", "negative zero", "v", math.Copysign(0, -1)),
		one("nan", "NaN", "v", math.NaN()),
		one("pos_inf", "+Inf", "v", math.Inf(1)),
		one("neg_inf", "-Inf", "v", math.Inf(-1)),
		one("complex64", "complex64", "v", complex64(complex(1.5, -2))),
		one("complex128", "complex128", "v", complex(math.Pi, math.Inf(1))),
		one("bool_true", "bool true", "authenticated", true),
		one("bool_false", "bool false", "v", false),
		one("string", "string", "email", "ada@example.com"),
		one("string_empty", "empty string", "v", ""),
		one("string_unicode", "non-ASCII string", "v", "Ελένη 🎉 «Café»\n\ttab"),
		one("string_invalid_utf8", "string with invalid UTF-8 (Go strings are bytes)", "v", "ok\xff\xfe\x80end"),
		one("bytes", "[]byte with every byte value", "raw", func() []byte {
			b := make([]byte, 256)
			for i := range b {
				b[i] = byte(i)
			}
			return b
		}()),
		one("bytes_empty", "empty []byte", "v", []byte{}),
		one("slice_int", "[]int", "v", []int{1, -2, 300000}),
		one("slice_string", "[]string with empty and non-ASCII", "roles", []string{"admin", "", "Zoë"}),
		one("slice_empty", "empty []string", "v", []string{}),
		one("slice_interface", "[]interface{} of mixed values incl. nil", "v", []interface{}{"a", 2, 3.5, nil, User{ID: 1}}),
		one("array_int", "[3]int", "v", [3]int{7, 0, -7}),
		one("array_bytes", "[4]byte (an array, not []byte)", "v", [4]byte{1, 2, 3, 255}),
		one("map_string_int_one", "map[string]int with one entry", "v", map[string]int{"a": 1}),
		{"map_string_int", "map[string]int", map[string]interface{}{"v": map[string]int{"a": 1, "b": -2, "c": 3}}, false},
		{"map_int_string", "map[int]string (non-string keys)", map[string]interface{}{"v": map[int]string{3: "c", 1: "a", 2: "b"}}, false},
		{"map_bool_slice", "map[bool][]string", map[string]interface{}{"v": map[bool][]string{true: {"y"}, false: nil}}, false},
		{"map_string_interface", "nested map[string]interface{}", map[string]interface{}{"prefs": map[string]interface{}{
			"theme": "dark", "size": 25, "nested": map[string]interface{}{"deep": []interface{}{1, "two", map[string]interface{}{"three": 3.0}}},
			"since": time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC), "user": User{ID: 5, Email: "e@x"},
		}}, false},
		one("user", "main.User struct", "user", User{ID: 1001, Email: "ada@example.com", Roles: []string{"admin", "billing"}, Admin: true}),
		one("user_zero", "main.User with every field zero (all omitted)", "user", User{}),
		one("user_pointer", "*main.User registered by pointer", "user", &User{ID: 7, Email: "p@example.com"}),
		one("profile", "nested structs, nil and set pointers, embedded, unexported, slices of structs, float32, interface field", "profile", profile),
		one("profile_zero", "Profile zero value", "profile", Profile{}),
		one("node", "recursive struct through a pointer", "list", &Node{Val: 1, Next: &Node{Val: 2, Next: &Node{Val: 3}}}),
		one("gob_encoder", "a GobEncoder type", "temp", Celsius{deci: 215}),
		one("binary_marshaler", "a BinaryMarshaler type", "ip", IPv4{b: [4]byte{192, 168, 0, 1}}),
		one("time_utc", "time.Time in UTC with nanoseconds", "at", time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.UTC)),
		one("time_offset", "time.Time at +05:30", "at", time.Date(2024, 7, 1, 12, 0, 0, 500, time.FixedZone("IST", 5*3600+1800))),
		one("time_negative_offset", "time.Time at -07:00", "at", time.Date(1999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -7*3600))),
		one("time_offset_seconds", "time.Time whose offset has seconds (binary version 2)", "at", time.Date(1900, 1, 1, 0, 0, 0, 0, time.FixedZone("LMT", 3600+1800+15))),
		one("time_zero", "zero time.Time", "at", time.Time{}),
		one("time_year1", "early date", "at", time.Date(1, 1, 1, 0, 0, 1, 1, time.UTC)),
		one("nil_value", "a nil interface value", "v", nil),
		{"key_invalid_utf8", "a key that is not UTF-8 (scsctl shows it with U+FFFD)", map[string]interface{}{"k\xffey": "v"}, false},
		one("large_1mb", "a 1 MB string value (its length needs a 4-byte count)", "blob", big),
		{"typical_session", "what a logged-in app stores: ~300 bytes, 5 values, one struct", map[string]interface{}{
			"userID": 887, "authenticated": true, "user": User{ID: 887, Email: "u887@example.com", Roles: []string{"user"}},
			"loginAt": at, "flash": "Welcome back!",
		}, false},
		{"realistic_session", "a logged-in user with a cart", map[string]interface{}{
			"userID": 887, "authenticated": true, "displayName": "Ελένη Παπαδοπούλου",
			"cart": Cart{ID: "cart-1", Items: []Item{{SKU: "SKU-1", Name: "Beans", Price: 24.9, Qty: 3, AddedAt: at}, {SKU: "SKU-2", Name: "Cup «Café»", Price: 42, Qty: 1}},
				Quantities: map[string]int{"SKU-1": 3, "SKU-2": 1}, UpdatedAt: at, Currency: "EUR"},
			"roles": []string{"user"}, "score": 2885.7,
		}, false},
	}
	return fs
}

// encodeOne writes fixture `name`'s blob to stdout.
func encodeOne(name string) error {
	for _, f := range append(fixtures(), renameFixtures()...) {
		if f.name == name {
			blob, err := encodeSCS(deadline, f.values)
			if err != nil {
				return err
			}
			_, err = os.Stdout.Write(blob)
			return err
		}
	}
	return fmt.Errorf("no fixture %q", name)
}

type manifestEntry struct {
	Name          string `json:"name"`
	Gob           string `json:"gob"`
	JSON          string `json:"json,omitempty"`
	Bytes         int    `json:"bytes"`
	Bad           bool   `json:"bad"`
	Deterministic bool   `json:"deterministic_bytes"`
	Description   string `json:"description"`
	GoError       string `json:"go_error,omitempty"`
}

func writeFixtures(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var manifest bytes.Buffer
	add := func(m manifestEntry) {
		b, _ := json.Marshal(m)
		manifest.Write(b)
		manifest.WriteByte('\n')
	}
	var realistic []byte
	self, err := os.Executable()
	if err != nil {
		return err
	}
	for _, f := range fixtures() {
		// Gob type ids are global to a process: encode each fixture in a fresh one, as an app
		// that has just started would.
		blob, err := exec.Command(self, "encode-one", f.name).Output()
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		// The JSON is what Go decodes from the blob, not what went in.
		d, values, err := decodeSCS(blob)
		if err != nil {
			return fmt.Errorf("%s: decoding: %w", f.name, err)
		}
		var js bytes.Buffer
		if err := printJSON(&js, view(d, values)); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f.name+".gob"), blob, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f.name+".json"), js.Bytes(), 0o644); err != nil {
			return err
		}
		if f.name == "realistic_session" {
			realistic = blob
		}
		add(manifestEntry{f.name, f.name + ".gob", f.name + ".json", len(blob), false, f.deterministic, f.description, ""})
	}
	bad := []struct {
		name, desc string
		blob       []byte
	}{
		{"truncated", "realistic session cut in half", realistic[:len(realistic)/2]},
		{"truncated_last_byte", "realistic session without its last byte", realistic[:len(realistic)-1]},
		{"only_types", "type definitions and no value", realistic[:bytes.Index(realistic, []byte("map[string]interface {}"))+30]},
		{"huge_length", "a message length far beyond the input", []byte{0xf8, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"bad_type_id", "a value of a type never defined", append(append([]byte{}, realistic[:bytes.Index(realistic, []byte("map[string]interface {}"))+30]...), 0x03, 0xff, 0xf0, 0x00)},
	}
	for _, b := range bad {
		_, _, err := decodeSCS(b.blob)
		if err == nil {
			return fmt.Errorf("%s: Go decoded it", b.name)
		}
		name := b.name + ".bad.gob"
		if err := os.WriteFile(filepath.Join(dir, name), b.blob, 0o644); err != nil {
			return err
		}
		add(manifestEntry{b.name, name, "", len(b.blob), true, false, b.desc, strings.TrimSpace(err.Error())})
	}
	return os.WriteFile(filepath.Join(dir, "MANIFEST.jsonl"), manifest.Bytes(), 0o644)
}
