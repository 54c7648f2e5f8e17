package timeline

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// Entry is one change of a record, as shown.
type Entry struct {
	ChangeID int64
	Action   string // created, updated, deleted
	At       time.Time
	Author   *User // nil when the change names nobody
	Source   string
	Changes  []FieldChange
}

// FieldChange is one field of an entry.
type FieldChange struct {
	Field string
	Title string
	Kind  string // changed, added, removed, item_changed
	Old   string
	New   string
	// OldUnknown: Trail never saw the earlier value (a field added to the
	// portal after the record's state was stored); Old then says so.
	OldUnknown bool
}

// Printer renders values for one viewer: language words and time zone.
type Printer struct {
	Empty, Yes, No string
	Unknown        string // an old value Trail never saw (history.Unknown)
	Loc            *time.Location
	DateLayout     string
	TimeLayout     string
}

// Build groups rows (ordered by change, as RecordHistory returns them)
// into entries.
func Build(rows []db.HistoryRow, l *Labels, p Printer) []Entry {
	var out []Entry
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].ChangeID != r.ChangeID {
			e := Entry{ChangeID: r.ChangeID, Action: r.Action, At: r.ChangedAt.In(p.loc()), Source: r.Source}
			if r.AuthorID != nil {
				u := l.User(*r.AuthorID)
				e.Author = &u
			}
			out = append(out, e)
		}
		if r.Field == "" {
			continue
		}
		e := &out[len(out)-1]
		e.Changes = append(e.Changes, FieldChange{
			Field: r.Field, Title: l.Title(r.Field), Kind: r.ChangeKind,
			Old: l.Display(r.Field, r.OldValue, p), New: l.Display(r.Field, r.NewValue, p),
			OldUnknown: decode(r.OldValue).Kind == history.KindUnknown,
		})
	}
	return out
}

// Refs lists the companies and contacts the rows' values point at, for
// LoadLinks.
func Refs(rows []db.HistoryRow, l *Labels) map[string][]int64 {
	refs := map[string][]int64{}
	for _, r := range rows {
		entity := linkEntity(l.field(r.Field))
		if entity == "" {
			continue
		}
		for _, raw := range []json.RawMessage{r.OldValue, r.NewValue} {
			for _, v := range flatten(decode(raw)) {
				if id, err := strconv.ParseInt(v.Text, 10, 64); err == nil {
					refs[entity] = append(refs[entity], id)
				}
			}
		}
	}
	return refs
}

func (l *Labels) field(name string) history.Field {
	if l.Schema == nil {
		return (*history.Schema)(nil).Field(name)
	}
	return l.Schema.Field(name)
}

// linkEntity says which entity a field's IDs name.
func linkEntity(f history.Field) string {
	switch {
	case f.Name == "COMPANY_ID" || f.Name == "COMPANY_IDS":
		return "company"
	case f.Name == "CONTACT_ID" || f.Name == "CONTACT_IDS":
		return "contact"
	case f.Name == "LEAD_ID":
		return "lead"
	}
	return ""
}

func decode(raw json.RawMessage) history.Value {
	var v history.Value
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return history.Value{}
	}
	return v
}

func flatten(v history.Value) []history.Value {
	if v.Kind == history.KindList {
		return v.List
	}
	return []history.Value{v}
}

// Display renders a stored value of field for a person.
func (l *Labels) Display(field string, raw json.RawMessage, p Printer) string {
	v := decode(raw)
	if v.IsEmpty() {
		return p.Empty
	}
	if v.Kind == history.KindUnknown {
		return p.Unknown
	}
	return l.value(l.field(field), v, p)
}

func (l *Labels) value(f history.Field, v history.Value, p Printer) string {
	switch v.Kind {
	case history.KindList:
		parts := make([]string, 0, len(v.List))
		for _, x := range v.List {
			parts = append(parts, l.value(f, x, p))
		}
		return strings.Join(parts, ", ")
	case history.KindMoney:
		amount, cur, _ := strings.Cut(v.Text, "|")
		return strings.TrimSpace(formatNumber(amount) + " " + cur)
	case history.KindNumber:
		return formatNumber(v.Text)
	case history.KindBool:
		if v.Text == "Y" {
			return p.Yes
		}
		return p.No
	case history.KindDateTime:
		if t, err := time.Parse(time.RFC3339, v.Text); err == nil {
			return t.In(p.loc()).Format(p.timeLayout())
		}
	case history.KindDate:
		if t, err := time.Parse("2006-01-02", v.Text); err == nil {
			return t.Format(p.dateLayout())
		}
	case history.KindItem:
		if v.ValueType != "" {
			return v.Text + " (" + strings.ToLower(v.ValueType) + ")"
		}
		return v.Text
	case history.KindFile:
		return "#" + v.Text
	case history.KindID:
		return l.name(f, v.Text)
	}
	return v.Text
}

// name resolves an ID through the field's meaning.
func (l *Labels) name(f history.Field, id string) string {
	switch f.Type {
	case history.TypeUser, history.TypeEmployee:
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			return l.User(n).Name
		}
	case history.TypeEnumeration:
		if label, ok := f.Item(id); ok {
			return label
		}
	case history.TypeStatus:
		if name, ok := l.statuses[f.StatusType+"|"+id]; ok {
			return name
		}
	}
	if e := linkEntity(f); e != "" {
		if t := l.links[e+":"+id]; t != "" {
			return t
		}
	}
	if f.StatusType == "" && (f.Name == "STAGE_ID" || f.Name == "STATUS_ID") {
		for k, name := range l.statuses {
			if strings.HasSuffix(k, "|"+id) {
				return name
			}
		}
	}
	return id
}

// formatNumber groups thousands and keeps two decimals for fractions.
func formatNumber(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteRune('\u00a0')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		if len(frac) == 1 {
			frac += "0"
		}
		b.WriteString("." + frac)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func (p Printer) loc() *time.Location {
	if p.Loc == nil {
		return time.UTC
	}
	return p.Loc
}

func (p Printer) dateLayout() string {
	if p.DateLayout == "" {
		return "02.01.2006"
	}
	return p.DateLayout
}

func (p Printer) timeLayout() string {
	if p.TimeLayout == "" {
		return "02.01.2006 15:04"
	}
	return p.TimeLayout
}
