package timeline

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/trailhq/trail/app/crm"
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
	// Reverts is the change this one put back (a revert); 0 otherwise.
	Reverts int64
	// Restores is the moment, in the viewer's zone, a revert put the whole
	// record back to; "" otherwise.
	Restores string
	// RestoredFrom is the deleted record (of the same type, Entity) a
	// created record was restored from; 0 otherwise.
	RestoredFrom int64
	Entity       string
	// Bulk is the bulk revert that made the change; 0 otherwise.
	Bulk    int64
	Changes []FieldChange
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
	// OldFiles and NewFiles are the files Old and New name, to open.
	OldFiles, NewFiles []FileLink
}

// Printer renders values for one viewer: language words and time zone.
//
// Times are shown as Bitrix24 shows them to that viewer: in their own zone
// when they chose one (Loc), else in the portal's, whose offset each change
// carries from the portal's own date values (it moves with daylight saving
// time), else in the portal's offset as last seen (Portal), and only when
// nothing is known in the browser's zone (Browser).
type Printer struct {
	Empty, Yes, No string
	Unknown        string         // an old value Trail never saw (history.Unknown)
	Loc            *time.Location // the viewer's own zone; nil when they keep the portal's
	Portal         *time.Location // the portal's offset as last seen; nil when unknown
	Browser        *time.Location // the viewer's browser's zone; nil when unknown
	// Records names entities in the viewer's language ("company" ->
	// "Company"), for records shown by number.
	Records    map[string]string
	Rows       RowWords // English when empty
	DateLayout string
	TimeLayout string
}

// ForOffset is p for a change the portal wrote at offset (seconds east of
// UTC; nil when unknown).
func (p Printer) ForOffset(offset *int32) Printer {
	switch {
	case p.Loc != nil:
	case offset != nil:
		p.Loc = time.FixedZone("", int(*offset))
	case p.Portal != nil:
		p.Loc = p.Portal
	default:
		p.Loc = p.Browser
	}
	return p
}

// Zone is where times with no offset of their own are shown.
func (p Printer) Zone() *time.Location { return p.ForOffset(nil).loc() }

// AnyItem is the key of Printer.Records naming a smart process's item.
const AnyItem = "dynamic"

func (p Printer) record(entity string) string {
	if name := p.Records[entity]; name != "" {
		return name
	}
	if t, ok := crm.ParseType(entity); ok && t.Dynamic() && p.Records[AnyItem] != "" {
		return p.Records[AnyItem]
	}
	return entity
}

// Build groups rows (ordered by change, as RecordHistory returns them)
// into entries.
func Build(rows []db.HistoryRow, l *Labels, p Printer) []Entry {
	var out []Entry
	for _, r := range rows {
		rp := p.ForOffset(r.UTCOffset)
		if len(out) == 0 || out[len(out)-1].ChangeID != r.ChangeID {
			e := Entry{ChangeID: r.ChangeID, Action: r.Action, At: r.ChangedAt.In(rp.loc()), Source: r.Source}
			if r.RevertsChangeID != nil {
				e.Reverts = *r.RevertsChangeID
			}
			if r.RevertsBulkID != nil {
				e.Bulk = *r.RevertsBulkID
			}
			if r.RestoresMoment != nil {
				e.Restores = r.RestoresMoment.In(p.Zone()).Format("02.01.2006 15:04:05")
			}
			if r.RestoredFrom != nil {
				e.RestoredFrom, e.Entity = *r.RestoredFrom, r.Entity.String()
			}
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
		fc := FieldChange{
			Field: r.Field, Title: l.Title(r.Field), Kind: r.ChangeKind,
			Old: l.Display(r.Field, r.OldValue, rp), New: l.Display(r.Field, r.NewValue, rp),
			OldUnknown: decode(r.OldValue).Kind == history.KindUnknown,
		}
		fc.OldFiles, fc.NewFiles = fileLinks(r.Entity, r.EntityID, r.Field, r.OldValue), fileLinks(r.Entity, r.EntityID, r.Field, r.NewValue)
		if r.Field == history.ProductRows {
			rowChange(&fc, r.OldValue, r.NewValue, rp)
		}
		if cf := history.CurrencyField(r.Field); cf != "" {
			before, after := l.record.around(cf, r.ChangedAt, r.ChangeID)
			fc.Old, fc.New = withCurrency(fc.Old, r.OldValue, before), withCurrency(fc.New, r.NewValue, after)
		}
		e.Changes = append(e.Changes, fc)
	}
	return out
}

// Refs lists the records the rows' values point at, for LoadLinks.
func Refs(rows []db.HistoryRow, l *Labels) map[string][]int64 {
	refs := map[string][]int64{}
	for _, r := range rows {
		f := l.field(r.Field)
		for _, raw := range []json.RawMessage{r.OldValue, r.NewValue} {
			for _, v := range flatten(decode(raw)) {
				if entity, id, ok := recordRef(f, v.Text); ok {
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
	case f.Type == history.TypeCompany || f.Name == "COMPANY_ID" || f.Name == "COMPANY_IDS":
		return "company"
	case f.Type == history.TypeContact || f.Name == "CONTACT_ID" || f.Name == "CONTACT_IDS":
		return "contact"
	case f.Type == history.TypeLead || f.Name == "LEAD_ID":
		return "lead"
	case f.Type == history.TypeDeal || f.Name == "DEAL_ID":
		return "deal"
	case f.Type == history.TypeQuote || f.Name == "QUOTE_ID":
		return "quote"
	}
	// A parent link of crm.item (parentId156, PARENT_ID_156) names its
	// type in its name.
	if n, ok := strings.CutPrefix(f.Name, "PARENT_ID_"); ok {
		if t, ok := crm.ParseType(n); ok {
			return t.String()
		}
	}
	return ""
}

// recordRef is the record a value of f points at, if it points at one.
func recordRef(f history.Field, v string) (string, int64, bool) {
	entity, id := linkEntity(f), v
	if f.Type == history.TypeCRM { // "D_12", "CO_5"
		prefix, rest, ok := strings.Cut(v, "_")
		t, known := crm.TypeOfShort(prefix) // "T9c" too: smart process 156
		if !ok || !known {
			return "", 0, false
		}
		entity, id = t.String(), rest
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if entity == "" || err != nil || n <= 0 {
		return "", 0, false
	}
	return entity, n, true
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
		return l.name(f, v.Text, p)
	}
	return v.Text
}

// name resolves an ID through the field's meaning: a user, a list item, a
// stage or status, a pipeline, a currency or a record. What cannot be
// resolved shows as the ID, records as "Company #5".
func (l *Labels) name(f history.Field, id string, p Printer) string {
	switch {
	case f.Type == history.TypeUser || f.Type == history.TypeEmployee:
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			return l.User(n).Name
		}
	case f.Type == history.TypeEnumeration:
		if label, ok := f.Item(id); ok {
			return label
		}
	case f.Type == history.TypeStatus:
		// A smart process's stage field names its default pipeline's
		// stages (DYNAMIC_128_STAGE_9); its other pipelines' are one family.
		if name, ok := l.statuses[statusFamily(f.StatusType)+"|"+id]; ok {
			return name
		}
	case f.Type == history.TypeCategory || f.Name == "CATEGORY_ID":
		if name, ok := l.categories[id]; ok {
			return name
		}
	case f.Type == history.TypeCurrency || f.Name == "CURRENCY_ID":
		if name, ok := l.currencies[id]; ok {
			return name
		}
	}
	if e, n, ok := recordRef(f, id); ok {
		if t := l.links[e+":"+strconv.FormatInt(n, 10)]; t != "" {
			return t
		}
		return strings.TrimSpace(p.record(e) + " #" + strconv.FormatInt(n, 10))
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
