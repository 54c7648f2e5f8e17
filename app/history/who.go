package history

import (
	"encoding/json"
	"strings"
	"time"
)

// Author returns the ID of the user who made the state in s: MODIFY_BY_ID,
// or CREATED_BY_ID for a record never modified. It is "" when unknown.
// Bitrix24 sets MODIFY_BY_ID on every save, also for saves by automation
// rules (then usually the rule's owner or the record's responsible), so
// combine it with Source before calling it a person's edit.
func Author(s Snapshot) string {
	for _, f := range []string{"MODIFY_BY_ID", "CREATED_BY_ID"} {
		if v := Normalize(Field{Name: f, Type: TypeUser}, s[f]); !v.IsEmpty() {
			return v.Text
		}
	}
	return ""
}

// When returns the time of the state in s, from DATE_MODIFY (or DATE_CREATE
// for a record never modified), with the zone Bitrix24 wrote.
func When(s Snapshot) (time.Time, bool) {
	for _, f := range []string{"DATE_MODIFY", "DATE_CREATE"} {
		if t, ok := parseTime(s[f]); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// Offset returns the UTC offset, in seconds east of UTC, that Bitrix24
// wrote the time of s with: the portal's offset at that moment (its server
// zone, daylight saving time included).
func Offset(s Snapshot) (int32, bool) {
	t, ok := When(s)
	if !ok {
		return 0, false
	}
	_, off := t.Zone()
	return int32(off), true
}

func parseTime(raw json.RawMessage) (time.Time, bool) {
	var str string
	if json.Unmarshal(raw, &str) != nil {
		return time.Time{}, false
	}
	return parseAny(strings.TrimSpace(str), zonedLayouts)
}
