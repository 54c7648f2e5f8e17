// Package app_test holds the package rules of Trail as a test, so that a
// change that breaks them fails `go tool task test` instead of waiting for
// a review to notice.
package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/trailhq/trail"

// stdOnly are the packages (with everything under them) whose code depends
// on the standard library alone, directly or through other packages: the
// Bitrix24 client and its emulator can be lifted out of Trail, and the
// history rules and the key ring stay pure.
var stdOnly = []string{module + "/app/b24", module + "/app/crm", module + "/app/history", module + "/app/refusals", module + "/app/secret"}

// forbidden says which imports a package must not name in its own files.
var forbidden = []struct {
	pkg      string
	prefixes []string
	why      string
}{
	{module + "/views", []string{module + "/db"}, "views render what they are given and query nothing"},
	{module + "/app/web", []string{"github.com/jackc/pgx/", "github.com/riverqueue/"},
		"handlers call Trail's own packages, not the database driver or the job queue"},
}

// knownExceptions are the files that break a forbidden rule today, with
// the imports they may keep until they are moved behind db or jobs. The
// list may only shrink: a new offender fails, and so does an entry that is
// no longer needed.
var knownExceptions = map[string][]string{}

// pkg is what `go list` says of one package.
type pkg struct {
	ImportPath string
	Dir        string
	Standard   bool
	Imports    []string
	GoFiles    []string
}

func TestPackageRules(t *testing.T) {
	pkgs := goList(t)
	files := fileImports(t, pkgs)
	for _, v := range violations(pkgs, files, knownExceptions) {
		t.Error(v)
	}
}

// The rules themselves are checked on a made-up module, so that a checker
// that finds nothing cannot pass for a codebase that keeps the rules.
func TestPackageRulesCatchViolations(t *testing.T) {
	pkgs := map[string]pkg{
		module + "/app/b24/b24test": {ImportPath: module + "/app/b24/b24test", Imports: []string{"net/http", module + "/app/b24/helper"}},
		module + "/app/b24/helper":  {ImportPath: module + "/app/b24/helper", Imports: []string{"github.com/some/lib"}},
		module + "/app/history":     {ImportPath: module + "/app/history", Imports: []string{"strings"}},
		module + "/views":           {ImportPath: module + "/views"},
		module + "/app/web":         {ImportPath: module + "/app/web"},
		"github.com/some/lib":       {ImportPath: "github.com/some/lib"},
		"net/http":                  {ImportPath: "net/http", Standard: true},
		"strings":                   {ImportPath: "strings", Standard: true},
	}
	files := map[string][]string{
		"views/tab.go":        {module + "/db"},
		"app/web/routes.go":   {"github.com/riverqueue/river"},
		"app/web/settings.go": {"github.com/jackc/pgx/v5"},
	}
	exceptions := map[string][]string{
		"app/web/settings.go": {"github.com/jackc/pgx/v5"},
		"app/web/gone.go":     {"github.com/jackc/pgx/v5"},
	}
	got := strings.Join(violations(pkgs, files, exceptions), "\n")
	for _, want := range []string{
		module + "/app/b24/b24test depends on github.com/some/lib (through " + module + "/app/b24/helper)",
		module + "/app/b24/helper depends on github.com/some/lib",
		"views/tab.go imports " + module + "/db",
		"app/web/routes.go imports github.com/riverqueue/river",
		"app/web/gone.go no longer imports github.com/jackc/pgx/v5",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("violations miss %q; got:\n%s", want, got)
		}
	}
	for _, clean := range []string{"app/history", "app/web/settings.go imports"} {
		if strings.Contains(got, clean) {
			t.Errorf("violations name %q, which keeps the rules; got:\n%s", clean, got)
		}
	}
}

// violations lists every broken rule in words. pkgs holds Trail's packages
// and all they depend on; files maps a file (relative to the module root)
// of a package with forbidden imports to what it imports.
func violations(pkgs map[string]pkg, files map[string][]string, exceptions map[string][]string) []string {
	var out []string
	for _, path := range sortedKeys(pkgs) {
		if !under(path, stdOnly) {
			continue
		}
		if dep, via := firstNonStd(pkgs, path); dep != "" {
			v := path + " depends on " + dep
			if via != "" {
				v += " (through " + via + ")"
			}
			out = append(out, v+": it may use the standard library only")
		}
	}
	used := map[string]bool{}
	for _, file := range sortedKeys(files) {
		for _, rule := range forbidden {
			if !strings.HasPrefix(file, strings.TrimPrefix(rule.pkg, module+"/")+"/") {
				continue
			}
			for _, imp := range files[file] {
				if !slices.ContainsFunc(rule.prefixes, func(p string) bool { return strings.HasPrefix(imp, p) }) {
					continue
				}
				if slices.Contains(exceptions[file], imp) {
					used[file+" "+imp] = true
					continue
				}
				out = append(out, file+" imports "+imp+": "+rule.why)
			}
		}
	}
	for _, file := range sortedKeys(exceptions) {
		for _, imp := range exceptions[file] {
			if !used[file+" "+imp] {
				out = append(out, file+" no longer imports "+imp+": remove it from knownExceptions")
			}
		}
	}
	return out
}

// firstNonStd walks what path depends on and returns the first package
// outside the standard library and outside Trail's std-only packages, with
// the package of Trail that imports it when that is not path itself.
func firstNonStd(pkgs map[string]pkg, path string) (dep, via string) {
	seen := map[string]bool{}
	var walk func(from string) (string, string)
	walk = func(from string) (string, string) {
		for _, imp := range pkgs[from].Imports {
			if seen[imp] {
				continue
			}
			seen[imp] = true
			p := pkgs[imp]
			switch {
			case p.Standard:
				// The standard library depends on itself alone.
			case under(imp, stdOnly):
				if d, v := walk(imp); d != "" {
					if v == "" {
						v = imp
					}
					return d, v
				}
			default:
				return imp, ""
			}
		}
		return "", ""
	}
	return walk(path)
}

func under(path string, roots []string) bool {
	return slices.ContainsFunc(roots, func(r string) bool { return path == r || strings.HasPrefix(path, r+"/") })
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// goList returns every package of the module and everything they depend
// on, as the go command resolves them (build tags of this platform).
func goList(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Dir,Standard,Imports,GoFiles", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs[p.ImportPath] = p
	}
	if _, ok := pkgs[module+"/app/web"]; !ok {
		t.Fatalf("go list did not report %s/app/web", module)
	}
	return pkgs
}

// fileImports reads the imports of each file of the packages that have
// forbidden imports, keyed by the file's path from the module root.
func fileImports(t *testing.T, pkgs map[string]pkg) map[string][]string {
	t.Helper()
	files := map[string][]string{}
	fset := token.NewFileSet()
	for _, rule := range forbidden {
		p := pkgs[rule.pkg]
		rel := strings.TrimPrefix(rule.pkg, module+"/")
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ImportsOnly)
			if err != nil {
				t.Fatalf("parse %s: %v", name, err)
			}
			for _, spec := range f.Imports {
				imp, err := strconv.Unquote(spec.Path.Value)
				if err != nil {
					t.Fatalf("%s: import %s: %v", name, spec.Path.Value, err)
				}
				files[rel+"/"+name] = append(files[rel+"/"+name], imp)
			}
		}
	}
	return files
}
