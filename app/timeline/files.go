package timeline

import (
	"encoding/json"
	"strconv"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
)

// FileLink is a file a change names, opened through Trail's file route
// (the portal's own links carry per-request tokens and are never kept).
type FileLink struct {
	Label string // "file #123"
	Href  string
}

// fileLinks are the files a stored value holds, as links of the record's
// field.
func fileLinks(t crm.Type, id int64, field string, raw json.RawMessage) []FileLink {
	var out []FileLink
	for _, v := range flatten(decode(raw)) {
		if v.Kind != history.KindFile {
			continue
		}
		if _, err := strconv.ParseInt(v.Text, 10, 64); err != nil {
			continue
		}
		out = append(out, FileLink{Label: "#" + v.Text,
			Href: "/tab/" + t.String() + "/" + strconv.FormatInt(id, 10) + "/file/" + field + "/" + v.Text})
	}
	return out
}
