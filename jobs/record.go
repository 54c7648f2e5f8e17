package jobs

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/trailhq/trail/app/history"
)

// recordID reads a legacy record's ID, sent as a string or a number.
func recordID(s history.Snapshot) (int64, error) {
	raw := s["ID"]
	var str string
	if err := json.Unmarshal(raw, &str); err != nil {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return 0, fmt.Errorf("record without an ID")
		}
		str = n.String()
	}
	id, err := strconv.ParseInt(str, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("record with ID %q", str)
	}
	return id, nil
}
