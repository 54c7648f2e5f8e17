package history

import "time"

// CreatedAt returns when the record of state s was created (DATE_CREATE),
// with the zone Bitrix24 wrote.
func CreatedAt(s Snapshot) (time.Time, bool) { return parseTime(s["DATE_CREATE"]) }
