package b24test

import "time"

// ItemRowCost is what one row of crm.item.list selecting every field ("*")
// of portal p's type entityTypeID costs, for benchmarks that predict a
// listing; PerRow alone for a type the portal does not have.
func (c Cost) ItemRowCost(p *Portal, entityTypeID int) time.Duration {
	et := p.crmTypeLocked(entityTypeID)
	if et == nil {
		return c.PerRow
	}
	return c.PerRow + c.fieldsCost(1, itemSelect(et, nil).fields)
}
