package crm

// dealMove is the event Bitrix24 fires instead of ONCRMDEALUPDATE when a
// deal moves to another pipeline; only apps can bind it, and it carries no
// old pipeline or stage.
// https://apidocs.bitrix24.com/api-reference/crm/deals/events/on-crm-deal-move-to-category.html
const dealMove = "ONCRMDEALMOVETOCATEGORY"

// MoveEvent is the event that tells of a record of the type moving to
// another pipeline when its update event does not, "" when there is none.
func (t Type) MoveEvent() string {
	if t == Deal {
		return dealMove
	}
	return ""
}

// typeOfMove reads a pipeline-move event's name: the record changed, so
// it reads as an update.
func typeOfMove(name string) (Type, string, bool) {
	if name == dealMove {
		return Deal, "UPDATE", true
	}
	return 0, "", false
}
