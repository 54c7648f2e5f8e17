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

// genHas derives HAS_PHONE, HAS_EMAIL and HAS_IMOL from the generated
// multifields.
func genHas(kind string) genFunc {
	return func(g *genCtx, id int) any {
		switch kind {
		case "PHONE":
			return hasFlag(genPhones(g, id).([]fmValue), "")
		case "EMAIL":
			return hasFlag(genEmails(g, id).([]fmValue), "")
		}
		return hasFlag(genIMs(g, id).([]fmValue), "IMOL")
	}
}

// hasFlag is "Y" when vs holds a value (of valueType, when given).
func hasFlag(vs []fmValue, valueType string) string {
	for _, v := range vs {
		if valueType == "" || v.valueType == valueType {
			return "Y"
		}
	}
	return "N"
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

// addresses are whole postal addresses: street line, city, postal code,
// province, country, country code.
var addresses = [][6]string{
	{"12 Friedrichstrasse", "Berlin", "10117", "Berlin", "Germany", "DE"},
	{"221B Baker Street", "London", "NW1 6XE", "England", "United Kingdom", "GB"},
	{"350 Fifth Avenue", "New York", "10118", "NY", "United States", "US"},
	{"8 Rue de Rivoli", "Paris", "75004", "Ile-de-France", "France", "FR"},
	{"Via Roma 15", "Milan", "20121", "Lombardy", "Italy", "IT"},
}

// genAddress fills part i of an ADDRESS block (0 street, 2 city, 3 postal
// code, 5 province, 6 country, 7 country code, 8 location id); about
// half the records have an address.
func genAddress(i int) genFunc {
	part := map[int]int{0: 0, 2: 1, 3: 2, 5: 3, 6: 4, 7: 5}
	return func(g *genCtx, id int) any {
		if g.n(id, 600, 2) == 0 {
			return ""
		}
		if i == 8 {
			return strconv.Itoa(id*8 + g.et)
		}
		k, ok := part[i]
		if !ok {
			return ""
		}
		return addresses[g.n(id, 601, len(addresses))][k]
	}
}

func genNo(_ *genCtx, _ int) any { return "N" }

func genOriginator(g *genCtx, id int) any {
	if g.n(id, 610, 10) != 0 {
		return ""
	}
	return "1c_exchange"
}

func genOriginID(g *genCtx, id int) any {
	if genOriginator(g, id) == "" {
		return ""
	}
	return fmt.Sprintf("EXT-%06d", id)
}

var utmValues = [5][]string{
	{"google", "facebook", "newsletter"},
	{"cpc", "social", "email"},
	{"spring_sale", "brand", "retargeting"},
	{"banner_a", "banner_b", "text_ad"},
	{"crm software", "sales pipeline", "b2b crm"},
}

// genUTM gives a fifth of the records a campaign; part is the UTM key.
func genUTM(part int) genFunc {
	return func(g *genCtx, id int) any {
		if g.n(id, 620, 5) != 0 {
			return ""
		}
		vs := utmValues[part]
		return vs[g.n(id, 621, len(vs))]
	}
}

// lastActivity lies between creation and the last change, as the last
// call or e-mail usually does.
func (g *genCtx) lastActivity(id int) time.Time {
	c, m := g.created(id), g.modified(id)
	return c.Add(time.Duration(g.n(id, 630, 1000)) * m.Sub(c) / 1000).Truncate(time.Minute)
}

func genLastActivity(g *genCtx, id int) any { return g.fmtTime(g.lastActivity(id)) }

// genLastCommunication: a third of the companies never had a call or
// e-mail.
func genLastCommunication(g *genCtx, id int) any {
	if g.n(id, 631, 3) == 0 {
		return ""
	}
	return g.fmtTime(g.lastActivity(id))
}

var honorifics = []string{"HNR_EN_1", "HNR_EN_2", "HNR_EN_3", "HNR_EN_4"}

func genHonorific(g *genCtx, id int) any {
	if g.n(id, 640, 3) == 0 {
		return ""
	}
	return honorifics[g.n(id, 641, len(honorifics))]
}

func genLeadSemantic(g *genCtx, id int) any {
	return leadSemantic(genPick(11, leadStatusIDs)(g, id).(string))
}

// genLeadClosed: a lead in a final status closed when it last moved.
func genLeadClosed(g *genCtx, id int) any {
	if genLeadSemantic(g, id) == "P" {
		return ""
	}
	return genMoved(g, id)
}

func genRefs(salt uint64, target int) genFunc {
	one := genRef(salt, target)
	return func(g *genCtx, id int) any {
		if v := one(g, id).(string); v != "0" {
			return []string{v}
		}
		return []string(nil)
	}
}

func genNoRefs(_ *genCtx, _ int) any { return []string(nil) }

func genFMNone(_ *genCtx, _ int) any { return []fmValue(nil) }

// genWebs and genIMs use value-id slots 5..8 of each record (phones and
// e-mails use 1..4), so ids stay unique.
func genWebs(g *genCtx, id int) any {
	if g.n(id, 650, 3) != 0 {
		return []fmValue(nil)
	}
	host := lowerASCII(companyWords[g.n(id, 651, len(companyWords))])
	return []fmValue{{id: strconv.Itoa((id*4)*8 + g.et + 4), valueType: "WORK", value: fmt.Sprintf("https://www.%s%d.example.com", host, id), typeID: "WEB"}}
}

func genIMs(g *genCtx, id int) any {
	switch g.n(id, 660, 6) {
	case 0:
		return []fmValue{{id: strconv.Itoa((id*4+1)*8 + g.et + 4), valueType: "TELEGRAM", value: fmt.Sprintf("@client%d", id), typeID: "IM"}}
	case 1:
		return []fmValue{{id: strconv.Itoa((id*4+1)*8 + g.et + 4), valueType: "IMOL", value: fmt.Sprintf("imol|telegrambot|1|%d|%d", 1000+id, id), typeID: "IM"}}
	}
	return []fmValue(nil)
}
