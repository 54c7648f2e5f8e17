package views

import "github.com/trailhq/trail/static"

// Asset returns the content-hashed URL of a static file, so browsers may
// cache it for a year and still see a new version at once.
func Asset(name string) string { return static.URL(name) }
