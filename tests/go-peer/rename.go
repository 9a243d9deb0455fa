package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// renameFixtures are the sessions of the rename-type proof: User (registered as main.User)
// at the top of Values, inside a map, a slice and another struct, and sessions that do not
// hold the name (one holds it only as a string, and one holds []main.User, another name).
func renameFixtures() []fixture {
	u := func(id int) User {
		return User{ID: id, Email: fmt.Sprintf("u%d@example.com", id), Roles: []string{"user"}, Admin: id%2 == 0}
	}
	return []fixture{
		{"rename_top", "User at the top of Values", map[string]interface{}{"user": u(1)}, true},
		{"rename_top_and_more", "User beside other values", map[string]interface{}{"user": u(2), "userID": 2, "flash": "hi"}, false},
		{"rename_in_map", "User inside a map in an interface", map[string]interface{}{"users": map[string]interface{}{"a": u(3), "b": u(4)}}, false},
		{"rename_in_slice", "User inside a slice in an interface", map[string]interface{}{"team": []interface{}{u(5), "x", u(6)}}, true},
		{"rename_in_struct", "User in another struct's interface field", map[string]interface{}{"profile": Profile{Name: "p", Any: u(7)}}, true},
		{"rename_deep", "User in a map in a slice in a struct", map[string]interface{}{"profile": Profile{Name: "q", Any: []interface{}{map[string]interface{}{"u": u(8)}}}}, true},
		{"rename_without", "no User at all", map[string]interface{}{"userID": 9, "addr": Address{City: "Springfield"}}, false},
		{"rename_lookalike", "the name as a string value only", map[string]interface{}{"note": "main.User"}, true},
		{"rename_slice_name", "[]main.User, a name of its own", map[string]interface{}{"list": []User{u(10)}}, true},
	}
}

// writeRenameFixtures writes NAME.gob for each rename fixture, each encoded in a fresh process.
func writeRenameFixtures(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	for _, f := range renameFixtures() {
		blob, err := exec.Command(self, "encode-one", f.name).Output()
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name+".gob"), blob, 0o644); err != nil {
			return err
		}
	}
	return nil
}
