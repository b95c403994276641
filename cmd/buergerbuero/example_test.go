package main

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"buergerbuero/office"
)

// config.example.yaml documents every field of every section: with its
// "#~" sections switched on it decodes strictly into the config, and every
// field of the config structs appears in it.
func TestConfigExampleDocumentsEveryField(t *testing.T) {
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	full := regexp.MustCompile(`(?m)^(\s*)#~ ?`).ReplaceAll(data, []byte("$1"))
	cfg := &fileConfig{Config: office.Defaults()}
	if err := office.DecodeYAML("config.example.yaml", full, cfg, nil); err != nil {
		t.Fatalf("the example with every section on: %v", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(full, &doc); err != nil {
		t.Fatal(err)
	}
	for _, path := range fieldPaths(reflect.TypeOf(fileConfig{}), "") {
		if !documented(doc, strings.Split(path, ".")) {
			t.Errorf("config.example.yaml does not show %s", path)
		}
	}
}

// fieldPaths lists the YAML paths of a config type's fields ("email.imap.ca_file",
// "concerns.keywords" for a field of a list's elements).
func fieldPaths(typ reflect.Type, prefix string) []string {
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct || typ.PkgPath() == "time" {
		return nil
	}
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if strings.Contains(opts, "inline") {
			out = append(out, fieldPaths(f.Type, prefix)...)
			continue
		}
		path := strings.TrimPrefix(prefix+"."+name, ".")
		out = append(out, path)
		if t := f.Type; t.Kind() == reflect.Struct && t.PkgPath() != "time" && !isText(t) || (t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct) {
			out = append(out, fieldPaths(f.Type, path)...)
		}
	}
	return out
}

// isText is a de/en pair, written as one value.
func isText(t reflect.Type) bool { return t.Name() == "Text" || t.Name() == "TextList" }

// documented reports whether the decoded example has the path (in any
// element of a list on the way).
func documented(node any, path []string) bool {
	if len(path) == 0 {
		return true
	}
	switch n := node.(type) {
	case map[string]any:
		v, ok := n[path[0]]
		return ok && documented(v, path[1:])
	case []any:
		for _, e := range n {
			if documented(e, path) {
				return true
			}
		}
	}
	return false
}
