// Command go-peer is scsctl's reference: it writes session blobs exactly as an SCS app does
// (gob of struct{Deadline time.Time; Values map[string]interface{}}), decodes blobs the way SCS
// does, and times Go's decoding for the benchmark. Standard library only.
//
//	go run . fixtures DIR   write NAME.gob + NAME.json pairs and MANIFEST.jsonl
//	go run . decode         read a blob on stdin, print its JSON view (exit 1 on bad data)
//	go run . bench FILE...  decode the blobs repeatedly, print sessions/s
//	go run . db CONN ...    an SCS app's postgresstore on a real table (see db.go)
//	go run . rename-fixtures DIR   write NAME.gob for the rename-type proof (rename.go)
//	go run . decode-as NAME        like decode, in an app that registers User as NAME
package main

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// envelope is what SCS's GobCodec encodes.
type envelope = struct {
	Deadline time.Time
	Values   map[string]interface{}
}

// encodeSCS encodes like scs.GobCodec.Encode.
func encodeSCS(deadline time.Time, values map[string]interface{}) ([]byte, error) {
	aux := &envelope{Deadline: deadline, Values: values}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(&aux); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// decodeSCS decodes like scs.GobCodec.Decode.
func decodeSCS(b []byte) (time.Time, map[string]interface{}, error) {
	aux := &envelope{}
	r := bytes.NewReader(b)
	if err := gob.NewDecoder(r).Decode(&aux); err != nil {
		return time.Time{}, nil, err
	}
	return aux.Deadline, aux.Values, nil
}

func printJSON(w io.Writer, v interface{}) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: go-peer fixtures DIR | decode | decode-as NAME | rename-fixtures DIR | bench FILE... | db CONN ...")
		os.Exit(2)
	}
	if os.Args[1] == "decode-as" && len(os.Args) == 3 {
		registerAs(os.Args[2])
	} else {
		register()
	}
	var err error
	switch os.Args[1] {
	case "rename-fixtures":
		if len(os.Args) != 3 {
			err = fmt.Errorf("usage: go-peer rename-fixtures DIR")
			break
		}
		err = writeRenameFixtures(os.Args[2])
	case "fixtures":
		if len(os.Args) != 3 {
			err = fmt.Errorf("usage: go-peer fixtures DIR")
			break
		}
		err = writeFixtures(os.Args[2])
	case "encode-one":
		if len(os.Args) != 3 {
			err = fmt.Errorf("usage: go-peer encode-one NAME")
			break
		}
		err = encodeOne(os.Args[2])
	case "decode", "decode-as":
		if os.Args[1] == "decode-as" && len(os.Args) != 3 {
			err = fmt.Errorf("usage: go-peer decode-as NAME")
			break
		}
		var b []byte
		if b, err = io.ReadAll(os.Stdin); err != nil {
			break
		}
		deadline, values, derr := decodeSCS(b)
		if derr != nil {
			err = derr
			break
		}
		err = printJSON(os.Stdout, view(deadline, values))
	case "bench":
		err = bench(os.Args[2:])
	case "db":
		err = dbCommand(os.Args[2:], os.Stdin, os.Stdout)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	var usage errUsage
	switch {
	case err == nil:
	case errors.Is(err, errNotFound):
		os.Exit(3)
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "go-peer:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "go-peer:", err)
		os.Exit(1)
	}
}

// bench decodes every blob repeatedly for about two seconds and prints the rate.
func bench(files []string) error {
	var blobs [][]byte
	total := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		blobs = append(blobs, b)
		total += len(b)
	}
	if len(blobs) == 0 {
		return fmt.Errorf("no files")
	}
	for _, b := range blobs {
		if _, _, err := decodeSCS(b); err != nil {
			return err
		}
	}
	n := 0
	start := time.Now()
	for time.Since(start) < 2*time.Second {
		for _, b := range blobs {
			if _, _, err := decodeSCS(b); err != nil {
				return err
			}
		}
		n += len(blobs)
	}
	secs := time.Since(start).Seconds()
	rate := float64(n) / secs
	fmt.Printf("sessions_per_sec %s\n", strconv.FormatFloat(rate, 'f', 0, 64))
	fmt.Printf("mb_per_sec %.1f\n", rate*float64(total)/float64(len(blobs))/1e6)
	return nil
}
