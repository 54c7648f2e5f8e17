// Package static embeds Trail's browser assets and serves them under
// content-hashed URLs with long cache lifetimes.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"
)

//go:embed *.css *.js vendor/*.js
var files embed.FS

// Prefix is the URL path assets are served under.
const Prefix = "/static/"

type asset struct {
	body        []byte
	contentType string
}

var (
	once   sync.Once
	byName map[string]string // logical name -> hashed name
	byHash map[string]asset  // hashed name -> content
)

func load() {
	byName, byHash = map[string]string{}, map[string]asset{}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(p)
		hashed := strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		byName[p] = hashed
		byHash[hashed] = asset{body: b, contentType: mime.TypeByExtension(ext)}
		return nil
	})
}

// URL returns the hashed URL of the named asset. Unknown names return a URL
// that answers 404, so a typo shows up in tests instead of panicking.
func URL(name string) string {
	once.Do(load)
	if h, ok := byName[name]; ok {
		return Prefix + h
	}
	return Prefix + "missing/" + name
}

// Lookup returns the content of a hashed asset name (as URL produced it).
func Lookup(hashed string) (body []byte, contentType string, ok bool) {
	once.Do(load)
	a, ok := byHash[hashed]
	return a.body, a.contentType, ok
}
