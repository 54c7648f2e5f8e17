package b24test

import (
	"fmt"
	"strconv"
)

// Generators of the fields only estimates, smart invoices and smart
// processes have; like every generator they are pure functions of the
// record, so seeded items cost nothing until changed.

func genKindTitle(k *typeKind) genFunc {
	return func(g *genCtx, id int) any {
		return fmt.Sprintf("%s: %s #%d", k.title, dealWhat[g.n(id, 700, len(dealWhat))], id)
	}
}

// genKindCategory puts most items in the default pipeline.
func genKindCategory(k *typeKind) genFunc {
	return func(g *genCtx, id int) any {
		pls := k.pipelines
		if len(pls) == 0 {
			return "0"
		}
		if len(pls) == 1 || g.n(id, 701, 10) < 7 {
			return strconv.Itoa(defaultPipelineOf(k).id)
		}
		return strconv.Itoa(pls[1+g.n(id, 702, len(pls)-1)].id)
	}
}

func genKindStage(k *typeKind) genFunc {
	category := genKindCategory(k)
	return func(g *genCtx, id int) any {
		cat, _ := strconv.Atoi(category(g, id).(string))
		for _, pl := range k.pipelines {
			if pl.id == cat {
				return pl.stages[g.n(id, 703, len(pl.stages))].statusID
			}
		}
		return ""
	}
}

func genObservers(g *genCtx, id int) any {
	if g.n(id, 704, 3) != 0 {
		return []string(nil)
	}
	return []string{strconv.Itoa(1 + g.n(id, 705, userCount))}
}

// genUFMoney writes money as Bitrix24 stores it: "amount|currency".
func genUFMoney(g *genCtx, id int) any {
	if g.n(id, 706, 3) == 0 {
		return ""
	}
	return fmt.Sprintf("%d|%s", 100*(1+g.n(id, 707, 500)), currencies[g.n(id, 708, len(currencies))])
}

// genUFFile gives a tenth of the items a file; its id is a seeded file's
// (seededFileID), so it is stable and its bytes are made on download as a
// deal's are.
func genUFFile(g *genCtx, id int) any {
	if g.n(id, 709, 10) != 0 {
		return ""
	}
	return strconv.Itoa(seededFileID(g.et, id, 1, 0))
}

// genUFCRM links a third of the items to a deal, as a CRM-binding user
// field limited to deals stores it (D_12).
func genUFCRM(g *genCtx, id int) any {
	n := g.counts[2]
	if n == 0 || g.n(id, 710, 3) != 0 {
		return ""
	}
	return shortCode(2) + "_" + strconv.Itoa(1+g.n(id, 711, n))
}

func genQuoteTitle(g *genCtx, id int) any {
	return fmt.Sprintf("Estimate: %s", dealWhat[g.n(id, 712, len(dealWhat))])
}

func genQuoteNumber(_ *genCtx, id int) any { return strconv.Itoa(id) }

func genInvoiceNumber(_ *genCtx, id int) any { return fmt.Sprintf("INV-%05d", id) }

func genQuoteClosed(g *genCtx, id int) any {
	switch genPick(80, quoteStatusIDs)(g, id) {
	case "APPROVED", "DECLAINED":
		return "Y"
	}
	return "N"
}

// The amounts of estimates, smart invoices and smart processes; their
// generated product rows add up to them unless the amount is manual.
var (
	kindAmount  = genMoney(100, 200000)
	quoteAmount = genMoney(100, 100000)
	kindManual  = genYN(6, 30)
)
