package b24

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// Time is the time block of an answer: when the portal started and finished
// the request and, on cloud portals, how much of the method's execution-time
// budget is spent (Operating, seconds) and when the oldest part of that
// spending drops out of the window (OperatingResetAt). Fields the portal did
// not send are zero.
type Time struct {
	Start            float64 `json:"start"`
	Finish           float64 `json:"finish"`
	Duration         float64 `json:"duration"`
	Processing       float64 `json:"processing"`
	Operating        float64 `json:"operating"`
	OperatingResetAt int64   `json:"operating_reset_at"`
	DateStart        string  `json:"date_start"`
	DateFinish       string  `json:"date_finish"`
}

// ResetAt returns OperatingResetAt as a time, or the zero time.
func (t Time) ResetAt() time.Time {
	if t.OperatingResetAt == 0 {
		return time.Time{}
	}
	return time.Unix(t.OperatingResetAt, 0)
}

// Response is a successful answer of a single method call.
type Response struct {
	// Result is the method's result, undecoded.
	Result json.RawMessage
	// Total is the number of matching rows a list method reports (0 when it
	// was asked not to count, with start=-1).
	Total int
	// Next is the offset of the next page of a list method, 0 when there is
	// none.
	Next int
	// Time is the portal's time block.
	Time Time
}

// envelope is every REST answer as it arrives. total and next are numbers
// or numeric strings depending on the method, hence flexInt.
type envelope struct {
	Result           json.RawMessage `json:"result"`
	Error            json.RawMessage `json:"error"`
	ErrorDescription string          `json:"error_description"`
	Total            flexInt         `json:"total"`
	Next             flexInt         `json:"next"`
	Time             *Time           `json:"time"`
}

// errorCode returns the error field as a string ("" when absent or null).
func (e *envelope) errorCode() (string, bool) {
	if len(e.Error) == 0 || string(e.Error) == "null" {
		return "", false
	}
	var s string
	if json.Unmarshal(e.Error, &s) != nil {
		s = string(e.Error)
	}
	return s, true
}

// flexInt decodes a JSON number, a numeric string, or null/"" as 0.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	if len(b) == 0 || string(b) == "null" {
		*n = 0
		return nil
	}
	if i := bytes.IndexByte(b, '.'); i >= 0 {
		b = b[:i]
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		*n = 0
		return nil
	}
	*n = flexInt(v)
	return nil
}

// isEmptyCollection reports whether raw is [] or {}: portals write empty
// maps as JSON arrays, so both mean "nothing".
func isEmptyCollection(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "[]" || string(raw) == "{}" || string(raw) == "null"
}

// parseEnvelope splits an answer into its envelope's parts without copying
// the result.
func parseEnvelope(b []byte) (*envelope, error) {
	env := new(envelope)
	err := eachMember(b, func(k string, v []byte) error {
		switch k {
		case "result":
			env.Result = v
		case "error":
			env.Error = v
		case "error_description":
			if json.Unmarshal(v, &env.ErrorDescription) != nil {
				env.ErrorDescription = string(v)
			}
		case "total":
			return env.Total.UnmarshalJSON(v)
		case "next":
			return env.Next.UnmarshalJSON(v)
		case "time":
			var t Time
			if json.Unmarshal(v, &t) == nil {
				env.Time = &t
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return env, nil
}
