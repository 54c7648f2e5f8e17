package b24test

import (
	"fmt"
	"maps"
	"strconv"
)

// typeSeq hands out the numbers of new smart processes: the settings key
// (crm.type id), the entityTypeId (128–191, then from 1030) and the ids of
// pipelines, which every type shares.
type typeSeq struct {
	settingsID   int
	entityTypeID int
	category     int
	uf           int // last user field or list item id
}

// firstSPACategory is the first pipeline id of smart processes; deals and
// smart invoices hold 0–3.
const firstSPACategory = 10

// validSPAID reports whether an entityTypeId lies in a smart-process range
// (https://apidocs.bitrix24.com/api-reference/crm/universal/user-defined-object-types/crm-type-add.html).
func validSPAID(id int) bool { return id >= 128 && id < 192 || id >= 1030 }

// nextEntityTypeID is the lowest free smart-process entityTypeId; p.mu held.
func (p *Portal) nextEntityTypeID() int {
	id := max(p.seq.entityTypeID, 128)
	for ; p.spas[id] != nil || !validSPAID(id); id++ {
		if id == 192 {
			id = 1029
		}
	}
	return id
}

// seedSPAFlags are the switches of a generated smart process: everything
// its items can show.
var seedSPAFlags = map[string]bool{
	flagCategories: true, flagStages: true, flagDates: true, flagClient: true, flagUseInUF: true,
	flagProducts: true, flagMyCompany: true, flagSource: true, flagObservers: true, flagAutomation: true, flagBizProc: true,
}

// seedKinds adds the stores of estimates, smart invoices and the generated
// smart processes to a new portal's CRM, with their generated counts.
func (p *Portal) seedKinds(o Options, crm map[int]*entityStore, counts map[int]int) {
	p.spas = map[int]*entityType{}
	p.seq = typeSeq{settingsID: 1, entityTypeID: 128, category: firstSPACategory, uf: 50000}
	counts[typeQuote], counts[typeSmartInvoice] = o.Quotes, o.SmartInvoices
	var spas []*entityType
	for range o.SmartProcesses {
		k := &typeKind{flags: maps.Clone(seedSPAFlags), parents: []int{2}, createdBy: adminID, updatedBy: adminID}
		et := p.newSPA(k, 0, fmt.Sprintf("Smart process %d", p.seq.settingsID), true)
		counts[et.id] = o.SmartProcessItems
		spas = append(spas, et)
	}
	for _, et := range []*entityType{universalTypes[typeQuote], universalTypes[typeSmartInvoice]} {
		crm[et.id] = p.newStore(et, o, counts)
	}
	for _, et := range spas {
		crm[et.id] = p.newStore(et, o, counts)
	}
}

// newStore is the record store of one type, its first counts[id] records
// generated.
func (p *Portal) newStore(et *entityType, o Options, counts map[int]int) *entityStore {
	return &entityStore{
		et:      et,
		g:       genCtx{seed: uint64(o.Seed)*0x100000001B3 + uint64(p.index), et: et.id, count: counts[et.id], zone: p.zone, counts: counts},
		over:    map[int]map[string]any{},
		deleted: map[int]struct{}{},
		nextID:  counts[et.id] + 1,
	}
}

// newSPA registers a smart process: entityTypeID 0 takes the next free
// one; it gets a default pipeline, and a second one when pipelines are on.
// p.mu held.
func (p *Portal) newSPA(k *typeKind, entityTypeID int, title string, withUF bool) *entityType {
	if entityTypeID == 0 {
		entityTypeID = p.nextEntityTypeID()
	}
	k.settingsID = p.seq.settingsID
	p.seq.settingsID++
	p.seq.entityTypeID = max(p.seq.entityTypeID, entityTypeID+1)
	k.title = title
	if k.code == "" {
		k.code = "spa_" + strconv.Itoa(k.settingsID)
	}
	now := p.formatTime(p.srv.now())
	k.createdTime, k.updatedTime = now, now
	k.pipelines = []*pipeline{newPipeline(entityTypeID, p.seq.category, "General", true, spaStages...)}
	p.seq.category++
	if k.flags[flagCategories] {
		pl := newPipeline(entityTypeID, p.seq.category, "Second pipeline", false, spaStages...)
		pl.sort = 600
		k.pipelines = append(k.pipelines, pl)
		p.seq.category++
	}
	var ufs []*field
	if withUF {
		ufs = spaUserFields(k.settingsID)
	}
	for i, f := range ufs {
		p.seq.uf++
		k.ufs = append(k.ufs, &ufConfig{id: p.seq.uf, f: f, sort: (i + 1) * 100})
	}
	et := newSPAType(entityTypeID, k, ufs)
	p.spas[entityTypeID] = et
	return et
}
