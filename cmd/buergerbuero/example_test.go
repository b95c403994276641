package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"golang.org/x/crypto/bcrypt"

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
	full := regexp.MustCompile(`(?m)^(\s*)#~(?:town)? ?`).ReplaceAll(data, []byte("$1"))
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

// Each "#~" block of config.example.yaml, switched on by itself as the
// file says to, gives a file check-config accepts: with a hash made by
// hash-password where it shows "$2a$12$...", the files it names, the
// secrets from the environment. The offices block makes a town: the
// concerns' counters go, the "#~town" lines come on.
func TestConfigExampleBlocksAreValid(t *testing.T) {
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("Kaffee-Tasse-Ampel-7"), 10)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"counter.htpasswd": "ben.mueller:" + string(hash) + "\n",
		"etcd-ca.pem": "", "etcd-client.pem": "", "etcd-client-key.pem": ""} {
		os.WriteFile(filepath.Join(files, name), []byte(content), 0o600)
	}
	t.Setenv("BUERGERBUERO_MATTERMOST_TOKEN", "a-bot-token-from-mattermost")
	t.Setenv("BUERGERBUERO_MATTERMOST_COMMAND_TOKEN", "a-command-token-from-mattermost")
	text := strings.NewReplacer("$2a$12$...", string(hash), "/etc/buergerbuero/", files+"/").Replace(string(data))
	lines := strings.Split(text, "\n")
	marked := regexp.MustCompile(`^(\s*)#~ ?`)
	town := regexp.MustCompile(`^(\s*)#~town ?`)
	for start := 0; start < len(lines); start++ {
		if !marked.MatchString(lines[start]) || town.MatchString(lines[start]) {
			continue
		}
		end := start
		for end < len(lines) && marked.MatchString(lines[end]) && !town.MatchString(lines[end]) {
			end++
		}
		on := slices.Clone(lines)
		for i := start; i < end; i++ {
			on[i] = marked.ReplaceAllString(on[i], "$1")
		}
		if strings.HasPrefix(on[start], "offices:") {
			on = aTown(on, marked, town)
		}
		path := filepath.Join(t.TempDir(), "config.yaml")
		os.WriteFile(path, []byte(strings.Join(on, "\n")), 0o600)
		var out bytes.Buffer
		if code := run(context.Background(), []string{"check-config", path}, &out, &out); code != 0 {
			t.Errorf("lines %d-%d switched on: exit %d\n%s", start+1, end, code, out.String())
		}
		start = end
	}
}

// aTown is the example with its offices block on, as the block says: the
// concerns without counters, the Mattermost block and its "#~town" lines on.
func aTown(lines []string, marked, town *regexp.Regexp) []string {
	var out []string
	inMattermost := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "    counters: ") && !strings.Contains(l, "{"): // a concern's counters
			continue
		case strings.HasPrefix(l, "#~ mattermost:"):
			inMattermost = true
		case inMattermost && !marked.MatchString(l):
			inMattermost = false
		}
		if inMattermost || town.MatchString(l) {
			l = marked.ReplaceAllString(town.ReplaceAllString(l, "$1"), "$1")
		}
		out = append(out, l)
	}
	return out
}
