package main

import (
	"encoding/gob"
	"fmt"
	"time"
)

// User is the struct the scs examples store.
type User struct {
	ID    int
	Email string
	Roles []string
	Admin bool
}

// Address is nested in Profile, by value and by pointer.
type Address struct {
	Street string
	City   string
	Zip    int
}

// Base is embedded in Profile (gob sends it as a field named Base).
type Base struct {
	CreatedBy string
	Version   uint16
}

// Profile exercises nesting, pointers, embedding, unexported fields and zero fields.
type Profile struct {
	Base
	Name     string
	Home     Address
	Work     *Address
	Previous []Address
	Tags     []string
	Scores   map[string]int
	Friends  []User
	Birth    time.Time
	Nick     *string
	Ratio    float32
	Any      interface{}
	secret   string
	internal int
}

// Node is recursive.
type Node struct {
	Val  int
	Next *Node
}

// Item is a cart line.
type Item struct {
	SKU     string
	Name    string
	Price   float64
	Qty     int
	AddedAt time.Time
}

// Cart holds items.
type Cart struct {
	ID         string
	Items      []Item
	Quantities map[string]int
	UpdatedAt  time.Time
	Currency   string
}

// Celsius implements gob.GobEncoder.
type Celsius struct{ deci int64 }

// GobEncode writes the temperature as text.
func (c Celsius) GobEncode() ([]byte, error) {
	return []byte(fmt.Sprintf("%d.%d", c.deci/10, c.deci%10)), nil
}

// GobDecode parses it back.
func (c *Celsius) GobDecode(b []byte) error {
	var whole, frac int64
	_, err := fmt.Sscanf(string(b), "%d.%d", &whole, &frac)
	c.deci = whole*10 + frac
	return err
}

// IPv4 implements encoding.BinaryMarshaler.
type IPv4 struct{ b [4]byte }

// MarshalBinary returns the four bytes.
func (ip IPv4) MarshalBinary() ([]byte, error) { return ip.b[:], nil }

// UnmarshalBinary reads four bytes.
func (ip *IPv4) UnmarshalBinary(b []byte) error {
	if len(b) != 4 {
		return fmt.Errorf("want 4 bytes, got %d", len(b))
	}
	copy(ip.b[:], b)
	return nil
}

func register() {
	gob.Register(User{})
	registerOthers()
}

// registerAs registers User under name instead of its own, and the other types as register
// does: an app after a deploy that moved User to another package (gob.RegisterName).
func registerAs(name string) {
	gob.RegisterName(name, User{})
	registerOthers()
}

func registerOthers() {
	for _, v := range []interface{}{
		Address{}, Profile{}, &Node{}, Cart{}, Item{}, Celsius{}, IPv4{},
		[]interface{}{}, map[string]interface{}{}, map[int]string{}, map[string]int{},
		[3]int{}, [4]byte{}, []User{}, time.Time{}, int8(0), int16(0), uint16(0), uintptr(0),
		complex64(0), float32(0), []int{}, []string{}, map[bool][]string{},
	} {
		gob.Register(v)
	}
}
