package b24test

import (
	"fmt"
	"strconv"
)

// Activity types that are a communication with the client (call, e-mail),
// as crm.enum.activitytype lists them.
const (
	activityCall  = 2
	activityEmail = 4
)

// crm.activity.add is kept to what moves the owner's system fields: it
// records nothing of the activity itself
// (https://apidocs.bitrix24.com/api-reference/crm/timeline/activities/activity-base/crm-activity-add.html).
func init() {
	register(&method{name: "crm.activity.add", scope: "crm", fn: activityAdd})
}

func activityAdd(c *call) (callResult, *apiError) {
	in := c.obj("fields")
	if in == nil {
		return callResult{}, errNotArray
	}
	ownerType, _ := strconv.Atoi(str(valueCI(in, "OWNER_TYPE_ID")))
	ownerID, _ := strconv.Atoi(str(valueCI(in, "OWNER_ID")))
	typeID, _ := strconv.Atoi(str(valueCI(in, "TYPE_ID")))
	et := entityTypes[ownerType]
	if et == nil {
		return callResult{}, errLegacy("The field OWNER_TYPE_ID is not defined or invalid.")
	}
	c.portal.mu.Lock()
	id, found := c.portal.addActivity(et, ownerID, typeID, c.user)
	c.portal.mu.Unlock()
	if !found {
		return callResult{}, errLegacy("The field OWNER_ID is not defined or invalid.")
	}
	return ok(id)
}

// addActivity moves the owner's LAST_ACTIVITY_TIME/LAST_ACTIVITY_BY and, for
// a company and a call or e-mail, LAST_COMMUNICATION_TIME. The record is not
// edited: DATE_MODIFY and MODIFY_BY_ID stay and no update event fires.
// It reports false when the owner does not exist.
func (p *Portal) addActivity(et *entityType, ownerID, typeID int, actor *user) (int, bool) {
	s := p.crm[et.id]
	if ownerID <= 0 || !s.exists(ownerID) {
		return 0, false
	}
	rec := s.record(ownerID)
	now := p.formatTime(p.srv.now())
	rec["LAST_ACTIVITY_TIME"] = now
	rec["LAST_ACTIVITY_BY"] = strconv.Itoa(actorID(actor, rec))
	if _, ok := rec["LAST_COMMUNICATION_TIME"]; ok && (typeID == activityCall || typeID == activityEmail) {
		rec["LAST_COMMUNICATION_TIME"] = now
	}
	s.over[ownerID] = rec
	p.actNext++
	return p.actNext, true
}

// AddActivity adds a call, e-mail or other activity (typeID as
// crm.activity.add takes it) to a record, as a person (userID) would in the
// record's timeline. entity is deal, lead, contact,
// company, quote, smart_invoice or dynamic_{entityTypeId}.
func (p *Portal) AddActivity(entity string, id, userID, typeID int) (int, error) {
	et, err := p.entityByName(entity)
	if err != nil {
		return 0, err
	}
	u, err := p.actor(userID)
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n, found := p.addActivity(et, id, typeID, u)
	if !found {
		return 0, fmt.Errorf("b24test: %s %d not found", entity, id)
	}
	return n, nil
}

// ActivityCall and ActivityEmail are the TYPE_ID of a call and an e-mail.
const (
	ActivityCall  = activityCall
	ActivityEmail = activityEmail
)
