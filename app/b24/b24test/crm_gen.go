package b24test

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// genCtx is what a field generator needs: the records are a pure function
// of (seed, portal, entity type, id), so a million of them cost no memory
// until one is changed.
type genCtx struct {
	seed  uint64
	et    int
	count int // generated ids are 1..count
	zone  *time.Location
	// counts are the generated record counts of every type, so references
	// (COMPANY_ID, CONTACT_ID, LEAD_ID) point at records that exist.
	counts map[int]int
}

// genFunc produces one field of record id in the legacy form.
type genFunc func(g *genCtx, id int) any

// genEpoch and genSpan place DATE_CREATE of the generated records between
// 2022-01-03 and 2025-06-30, growing with the id like real data.
var (
	genEpoch = time.Date(2022, 1, 3, 9, 0, 0, 0, time.UTC)
	genSpan  = time.Date(2025, 6, 30, 18, 0, 0, 0, time.UTC).Sub(genEpoch)
)

// h is a splitmix64 hash of the record and a salt naming the field.
func (g *genCtx) h(id int, salt uint64) uint64 {
	x := g.seed ^ uint64(g.et)<<56 ^ uint64(id)*0x9E3779B97F4A7C15 ^ salt*0xBF58476D1CE4E5B9
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return x
}

func (g *genCtx) n(id int, salt uint64, n int) int { return int(g.h(id, salt) % uint64(n)) }

func (g *genCtx) fmtTime(t time.Time) string { return t.In(g.zone).Format(time.RFC3339) }

func (g *genCtx) fmtDate(t time.Time) string { return formatDate(t.In(g.zone), g.zone) }

// formatDate writes the calendar date of t as Bitrix24 writes date fields:
// midnight UTC of that date in the portal's offset ("2024-06-18T02:00:00+02:00",
// https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-get.html). West of UTC that instant falls on the day before, so
// there the date is written as local midnight, which keeps the day.
func formatDate(t time.Time, zone *time.Location) string {
	y, m, d := t.Date()
	utc := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if _, off := utc.In(zone).Zone(); off < 0 {
		return time.Date(y, m, d, 0, 0, 0, 0, zone).Format(time.RFC3339)
	}
	return utc.In(zone).Format(time.RFC3339)
}

func genID(_ *genCtx, id int) any   { return strconv.Itoa(id) }
func genEmpty(_ *genCtx, _ int) any { return "" }
func genComment(g *genCtx, id int) any {
	if g.n(id, 20, 3) != 0 {
		return ""
	}
	return comments[g.n(id, 21, len(comments))]
}

func genYN(salt uint64, pctY int) genFunc {
	return func(g *genCtx, id int) any {
		if g.n(id, 100+salt, 100) < pctY {
			return "Y"
		}
		return "N"
	}
}

func genUser(salt uint64) genFunc {
	return func(g *genCtx, id int) any { return strconv.Itoa(1 + g.n(id, 200+salt, userCount)) }
}

func genPick(salt uint64, from []string) genFunc {
	return func(g *genCtx, id int) any { return from[g.n(id, 300+salt, len(from))] }
}

// created is the record's creation time: evenly spread with jitter.
func (g *genCtx) created(id int) time.Time {
	step := genSpan / time.Duration(max(g.count, 1))
	t := genEpoch.Add(step * time.Duration(id-1))
	t = t.Add(time.Duration(g.n(id, 30, int(max(step/time.Second, 1)))) * time.Second)
	return t.Truncate(time.Minute)
}

func (g *genCtx) modified(id int) time.Time {
	return g.created(id).Add(time.Duration(g.n(id, 31, 90*24*60)) * time.Minute)
}

func genCreated(g *genCtx, id int) any  { return g.fmtTime(g.created(id)) }
func genModified(g *genCtx, id int) any { return g.fmtTime(g.modified(id)) }
func genMoved(g *genCtx, id int) any {
	c, m := g.created(id), g.modified(id)
	return g.fmtTime(c.Add(m.Sub(c) / 2).Truncate(time.Minute))
}

func genBeginDate(g *genCtx, id int) any { return g.fmtDate(g.created(id)) }
func genCloseDate(g *genCtx, id int) any {
	return g.fmtDate(g.created(id).Add(time.Duration(7+g.n(id, 32, 60)) * 24 * time.Hour))
}
func genBirthdate(g *genCtx, id int) any {
	if g.n(id, 33, 2) == 0 {
		return ""
	}
	return g.fmtDate(time.Date(1960+g.n(id, 34, 40), time.Month(1+g.n(id, 35, 12)), 1+g.n(id, 36, 28), 0, 0, 0, 0, time.UTC))
}

func genCategory(g *genCtx, id int) any {
	// Most deals live in the default pipeline.
	switch v := g.n(id, 40, 10); {
	case v < 6:
		return "0"
	case v < 9:
		return "1"
	default:
		return "2"
	}
}

func genStage(g *genCtx, id int) any {
	cat, _ := strconv.Atoi(genCategory(g, id).(string))
	st := dealCategories[cat].stages
	return st[g.n(id, 41, len(st))].statusID
}

func genSemantic(g *genCtx, id int) any { return stageSemantic(genStage(g, id).(string)) }

func genClosed(g *genCtx, id int) any {
	if genSemantic(g, id) == "P" {
		return "N"
	}
	return "Y"
}

func genIsNew(g *genCtx, id int) any {
	s := genStage(g, id).(string)
	if s == "NEW" || strings.HasSuffix(s, ":NEW") {
		return "Y"
	}
	return "N"
}

func genProbability(g *genCtx, id int) any { return strconv.Itoa(g.n(id, 42, 11) * 10) }

func genCurrency(g *genCtx, id int) any { return currencies[g.n(id, 43, len(currencies))] }

// genMoney formats an amount as Bitrix24 does: two decimals, no grouping.
func genMoney(lo, hi int) genFunc {
	return func(g *genCtx, id int) any {
		cents := int64(lo)*100 + int64(g.h(id, 44)%uint64((hi-lo)*100))
		if g.n(id, 45, 3) > 0 {
			cents -= cents % 10000 // most amounts are round
		}
		return fmt.Sprintf("%d.%02d", cents/100, cents%100)
	}
}

func genTax(g *genCtx, id int) any { return []string{"0.00", "0.00", "20.00", "19.00"}[g.n(id, 46, 4)] }

// genRef points at a generated record of another type, or nothing.
func genRef(salt uint64, target int) genFunc {
	return func(g *genCtx, id int) any {
		n := g.counts[target]
		if n == 0 || g.n(id, 500+salt, 4) == 0 {
			return "0"
		}
		return strconv.Itoa(1 + g.n(id, 510+salt, n))
	}
}

func genDealTitle(g *genCtx, id int) any {
	return fmt.Sprintf("%s for %s #%d", dealWhat[g.n(id, 50, len(dealWhat))], companyWords[g.n(id, 51, len(companyWords))], id)
}

func genLeadTitle(g *genCtx, id int) any {
	return fmt.Sprintf("Inquiry: %s", dealWhat[g.n(id, 52, len(dealWhat))])
}

func genCompanyTitle(g *genCtx, id int) any {
	return fmt.Sprintf("%s %s %s", companyWords[g.n(id, 53, len(companyWords))], companyNouns[g.n(id, 54, len(companyNouns))], companySuffix[g.n(id, 55, len(companySuffix))])
}

func genFirstName(g *genCtx, id int) any { return firstNames[g.n(id, 56, len(firstNames))] }
func genLastName(g *genCtx, id int) any  { return lastNames[g.n(id, 57, len(lastNames))] }
func genPost(g *genCtx, id int) any      { return posts[g.n(id, 58, len(posts))] }

// Multifield value ids are derived from the record so they are stable.
func fmID(g *genCtx, id, k int) string { return strconv.Itoa((id*4+k)*8 + g.et) }

func genPhones(g *genCtx, id int) any {
	n := g.n(id, 60, 3)
	out := make([]fmValue, n)
	for k := range n {
		out[k] = fmValue{id: fmID(g, id, k), valueType: []string{"WORK", "MOBILE", "HOME"}[g.n(id, 61+uint64(k), 3)],
			value: fmt.Sprintf("+4930%07d", g.h(id, 63+uint64(k))%10000000), typeID: "PHONE"}
	}
	return out
}

func genEmails(g *genCtx, id int) any {
	n := g.n(id, 64, 2) + g.n(id, 65, 2)
	out := make([]fmValue, n)
	for k := range n {
		name := lowerASCII(genFirstName(g, id).(string)) + "." + lowerASCII(genLastName(g, id).(string))
		out[k] = fmValue{id: fmID(g, id, 2+k), valueType: []string{"WORK", "HOME"}[k], value: fmt.Sprintf("%s%d@example.%s", name, id, []string{"com", "org"}[k]), typeID: "EMAIL"}
	}
	return out
}

func genHas(kind string) genFunc {
	return func(g *genCtx, id int) any {
		var v any
		if kind == "PHONE" {
			v = genPhones(g, id)
		} else {
			v = genEmails(g, id)
		}
		if len(v.([]fmValue)) > 0 {
			return "Y"
		}
		return "N"
	}
}

func genUFString(g *genCtx, id int) any {
	if g.n(id, 70, 2) == 0 {
		return ""
	}
	return fmt.Sprintf("%d %s St.", 1+g.n(id, 71, 200), streets[g.n(id, 72, len(streets))])
}

func genUFEnum(items []enumItem) genFunc {
	return func(g *genCtx, id int) any {
		if g.n(id, 73, 4) == 0 {
			return ""
		}
		return items[g.n(id, 74, len(items))].id
	}
}

func genUFDouble(g *genCtx, id int) any {
	return strconv.FormatFloat(float64(g.n(id, 75, 4000))/100, 'f', -1, 64)
}

func genUFDate(g *genCtx, id int) any {
	if g.n(id, 76, 3) == 0 {
		return ""
	}
	return g.fmtDate(g.created(id).Add(time.Duration(g.n(id, 77, 30)) * 24 * time.Hour))
}

func genUFTags(g *genCtx, id int) any {
	n := g.n(id, 78, 3)
	out := make([]string, n)
	for k := range n {
		out[k] = tags[g.n(id, 79+uint64(k), len(tags))]
	}
	return out
}

var (
	dealWhat      = []string{"License renewal", "Website redesign", "Server hardware", "Consulting package", "Annual support", "Office furniture", "Cloud migration", "Training course", "Marketing campaign", "Spare parts"}
	companyWords  = []string{"Northwind", "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell", "Soylent", "Cyberdyne"}
	companyNouns  = []string{"Trading", "Logistics", "Systems", "Foods", "Motors", "Analytics", "Media", "Energy"}
	companySuffix = []string{"LLC", "Ltd", "GmbH", "Inc.", "AG"}
	posts         = []string{"CEO", "Sales manager", "Purchasing manager", "CTO", "Accountant", "Office manager", ""}
	comments      = []string{"Called twice, waiting for a decision.", "Needs a discount on the second year.", "Met at the trade show.", "Prefers e-mail."}
	streets       = []string{"Main", "Oak", "Elm", "Lake", "Hill", "Park"}
	tags          = []string{"vip", "repeat", "reseller", "tender", "urgent"}
)
