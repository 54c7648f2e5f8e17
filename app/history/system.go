package history

import (
	"maps"
	"slices"
)

// systemFields are left out of every diff: the system, not a person, sets
// them, or they restate another field that is already recorded. Showing them
// would bury the real edits (every save moves DATE_MODIFY). Each entry says
// why it is skipped; the values stay in stored snapshots.
var systemFields = map[string]string{
	"ID":                  "set once when the record is created",
	"DATE_CREATE":         "set once when the record is created; a Created entry carries it as its time",
	"CREATED_BY_ID":       "set once when the record is created; a Created entry carries it as its author",
	"DATE_MODIFY":         "moves on every save; an entry carries it as its time",
	"MODIFY_BY_ID":        "the last editor; an entry carries it as its author",
	"MOVED_TIME":          "stage-move bookkeeping; the STAGE_ID change itself is recorded",
	"MOVED_BY_ID":         "stage-move bookkeeping; the STAGE_ID change itself is recorded",
	"LAST_ACTIVITY_TIME":  "follows timeline activities (calls, e-mails), not edits of the record",
	"LAST_ACTIVITY_BY":    "follows timeline activities (calls, e-mails), not edits of the record",
	"STAGE_SEMANTIC_ID":   "derived from STAGE_ID",
	"PREVIOUS_STAGE_ID":   "derived from STAGE_ID (crm.item types)",
	"STATUS_SEMANTIC_ID":  "derived from STATUS_ID (leads)",
	"IS_NEW":              "derived from the stage",
	"DATE_CLOSED":         "set by the system when a lead reaches a final status",
	"HAS_PHONE":           "derived from PHONE",
	"HAS_EMAIL":           "derived from EMAIL",
	"HAS_IMOL":            "derived from IM (open channels)",
	"OPPORTUNITY_ACCOUNT": "OPPORTUNITY recomputed in the reporting currency",
	"TAX_VALUE_ACCOUNT":   "TAX_VALUE recomputed in the reporting currency",
	"ACCOUNT_CURRENCY_ID": "the portal's reporting currency",

	"LAST_COMMUNICATION_TIME": "follows calls and e-mails with the client (companies), not edits of the record",
}

// IsSystemField reports whether Diff skips name; see SystemFields.
func IsSystemField(name string) bool {
	_, ok := systemFields[name]
	return ok
}

// SystemFields returns the fields Diff skips, sorted, each with the reason.
func SystemFields() []SystemField {
	names := slices.Sorted(maps.Keys(systemFields))
	out := make([]SystemField, len(names))
	for i, n := range names {
		out[i] = SystemField{Name: n, Reason: systemFields[n]}
	}
	return out
}

// SystemField is one entry of the skip list.
type SystemField struct {
	Name   string
	Reason string
}
