package b24test

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"time"
)

// offlineEvent is one queued record of event.offline.get.
type offlineEvent struct {
	id        int
	messageID string
	ts        time.Time
	name      string
	entityID  int
	event     crmEvent // what the event's data carries beyond the ID
	userID    int
	connector string
	processID string
	errored   bool
}

// offlineQueue holds the records of the offline bindings
// (https://apidocs.bitrix24.com/api-reference/events/event-offline-get.html).
// A record is keyed by MESSAGE_ID, the md5 of the event name and its data,
// so a deal's ADD, UPDATE and DELETE are three records, and a repeat
// refreshes the unreserved record of its connector; a reserved one stays as
// it was read and the repeat makes a new record.
type offlineQueue struct {
	events []*offlineEvent
	nextID int
}

// eventData is EVENT_DATA of a CRM change, ids as strings as online
// handlers get them, with the keys the event carries beyond the ID.
func eventData(id int, ev crmEvent) *obj {
	fields := newObj()
	for _, kv := range ev.fields(id) {
		fields.set(kv[0], kv[1])
	}
	return objOf("FIELDS", fields)
}

// messageID is md5(EVENT_NAME + "|" + json(EVENT_DATA)).
func messageID(name string, id int, ev crmEvent) string {
	data, _ := eventData(id, ev).MarshalJSON()
	sum := md5.Sum([]byte(name + "|" + string(data)))
	return hex.EncodeToString(sum[:])
}

func (q *offlineQueue) put(connector string, ev crmEvent, ch change, now time.Time) {
	name := ev.name
	msg := messageID(name, ch.id, ev)
	uid := 0
	if ch.actor != nil {
		uid = ch.actor.id
	}
	for _, e := range q.events {
		if e.messageID == msg && e.connector == connector && e.processID == "" {
			e.ts, e.userID, e.errored = now, uid, false
			return
		}
	}
	q.nextID++
	q.events = append(q.events, &offlineEvent{id: q.nextID, messageID: msg, ts: now, name: name, entityID: ch.id, event: ev, userID: uid, connector: connector})
}

func init() {
	register(
		&method{name: "event.offline.get", appOnly: true, fn: offlineGet},
		&method{name: "event.offline.clear", appOnly: true, fn: offlineClear},
		&method{name: "event.offline.error", appOnly: true, fn: offlineError},
		&method{name: "event.offline.list", appOnly: true, fn: offlineList},
	)
}

func (e *offlineEvent) obj(p *Portal, full bool) *obj {
	o := objOf(
		"ID", strconv.Itoa(e.id),
		"TIMESTAMP_X", p.formatTime(e.ts),
		"EVENT_NAME", e.name,
		"EVENT_DATA", eventData(e.entityID, e.event),
		"EVENT_ADDITIONAL", objOf("user_id", strconv.Itoa(e.userID)),
		"MESSAGE_ID", e.messageID,
	)
	if full {
		o.set("PROCESS_ID", e.processID)
		o.set("ERROR", map[bool]string{true: "1", false: "0"}[e.errored])
	}
	return o
}

// offlineAccess checks the admin right and the plan's auth_connector, and
// returns the queue; p.mu held.
func offlineAccess(c *call) (*offlineQueue, *apiError) {
	if !c.user.admin.Load() {
		return nil, errAccessDenied
	}
	if c.portal.inst == nil {
		return nil, errInvalidToken
	}
	if c.str("auth_connector") != "" && !c.portal.plan.has(featureAuthConnector) {
		return nil, licenseError(featureAuthConnector)
	}
	return &c.portal.inst.offline, nil
}

var errProcessID = errArgument("Argument 'PROCESS_ID' is null or empty", "PROCESS_ID")

// offlineGet hands out up to limit records that meet the filter, in the
// order asked (oldest TIMESTAMP_X first by default). clear=1 (default)
// deletes them; clear=0 reserves them under a new process_id until
// event.offline.clear, so parallel readers get disjoint sets. With
// process_id it re-reads that batch, and clear=1 then deletes the whole
// batch.
func offlineGet(c *call) (callResult, *apiError) {
	limit := 50
	if v, given := c.param("limit"); given {
		n, err := strconv.Atoi(str(v))
		if err != nil || n < 1 {
			return callResult{}, errArgument("Value must be positive integer", "LIMIT")
		}
		limit = min(n, 1000)
	}
	clear, withErrors := c.flag("clear", true), c.flag("error", false)
	conds, aerr := offlineFilter(c, false)
	if aerr != nil {
		return callResult{}, aerr
	}
	less, aerr := offlineOrder(c, false, "TIMESTAMP_X")
	if aerr != nil {
		return callResult{}, aerr
	}
	connector := c.str("auth_connector")
	pid := c.str("process_id")
	reread := pid != ""
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	q, aerr := offlineAccess(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	if !clear && !c.portal.plan.has(featureOfflineExtended) {
		return callResult{}, licenseError(featureOfflineExtended)
	}
	wanted := func(e *offlineEvent) bool { return e.connector == connector && e.processID == pid }
	if !reread {
		wanted = func(e *offlineEvent) bool {
			return e.connector == connector && e.processID == "" && e.errored == withErrors && e.matches(c.portal, conds)
		}
		if !clear {
			pid = randomHex(16)
		}
	}
	var picked []*offlineEvent
	for _, e := range sortedOffline(q.events, less) {
		if len(picked) < limit && wanted(e) {
			picked = append(picked, e)
		}
	}
	out := listOf()
	for _, e := range picked {
		out.push(e.obj(c.portal, false))
	}
	switch {
	case clear && reread:
		q.drop(wanted)
	case clear:
		q.drop(func(e *offlineEvent) bool { return containsEvent(picked, e) })
	default:
		for _, e := range picked {
			e.processID = pid
		}
	}
	return ok(objOf("process_id", nilIfEmpty(pid), "events", out))
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func containsEvent(list []*offlineEvent, e *offlineEvent) bool {
	for _, x := range list {
		if x == e {
			return true
		}
	}
	return false
}

func (q *offlineQueue) drop(f func(*offlineEvent) bool) {
	kept := q.events[:0]
	for _, e := range q.events {
		if !f(e) {
			kept = append(kept, e)
		}
	}
	q.events = kept
}

// selection is the records event.offline.clear and .error name: by
// message_id[] (which wins), by id[], or all when neither is given.
type selection struct {
	all  bool
	ids  map[string]bool
	msgs map[string]bool
}

func (s selection) has(e *offlineEvent) bool {
	return s.all || s.msgs[e.messageID] || s.ids[strconv.Itoa(e.id)]
}

// messageIDs reads message_id[]: an array of 32-character keys.
func messageIDs(c *call) (map[string]bool, bool, *apiError) {
	v, given := c.param("message_id")
	if !given {
		return nil, false, nil
	}
	bad := errArgument("Value must be array of MESSAGE_ID values", "MESSAGE_ID")
	if asObj(v) == nil {
		return nil, true, bad
	}
	m := map[string]bool{}
	for _, s := range strList(v) {
		if len(s) != 32 {
			return nil, true, bad
		}
		m[s] = true
	}
	return m, true, nil
}

// clearSelection reads message_id[] or else id[] (integers > 0).
func clearSelection(c *call) (selection, *apiError) {
	msgs, given, aerr := messageIDs(c)
	if aerr != nil || given {
		return selection{msgs: msgs}, aerr
	}
	v, given := c.param("id")
	if !given {
		return selection{all: true}, nil
	}
	bad := errArgument("Value must be array of integers", "ID")
	if asObj(v) == nil {
		return selection{}, bad
	}
	ids := map[string]bool{}
	for _, s := range strList(v) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return selection{}, bad
		}
		ids[strconv.Itoa(n)] = true
	}
	return selection{ids: ids}, nil
}

// offlineClear deletes records of a batch. An empty process_id (given but
// "") names the records outside every batch, erroneous ones included: the
// documented pitfall.
func offlineClear(c *call) (callResult, *apiError) {
	if v, given := c.param("process_id"); !given || v == nil {
		return callResult{}, errProcessID
	}
	sel, aerr := clearSelection(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	pid, connector := c.str("process_id"), c.str("auth_connector")
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	q, aerr := offlineAccess(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	q.drop(func(e *offlineEvent) bool { return e.connector == connector && e.processID == pid && sel.has(e) })
	return ok(true)
}

// offlineError marks records of a batch as failed and releases them for
// event.offline.get with error=1. Records with the same MESSAGE_ID outside
// the batch are deleted, also when the process_id names no batch.
func offlineError(c *call) (callResult, *apiError) {
	pid, connector := c.str("process_id"), c.str("auth_connector")
	if pid == "" {
		return callResult{}, errProcessID
	}
	msgs, given, aerr := messageIDs(c)
	if aerr == nil && !given {
		aerr = errArgument("Value must be array of MESSAGE_ID values", "MESSAGE_ID")
	}
	if aerr != nil {
		return callResult{}, aerr
	}
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	q, aerr := offlineAccess(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	q.drop(func(e *offlineEvent) bool { return e.connector == connector && e.processID != pid && msgs[e.messageID] })
	for _, e := range q.events {
		if e.connector == connector && e.processID == pid && msgs[e.messageID] {
			e.errored, e.processID = true, ""
		}
	}
	return ok(true)
}

// offlineList shows the records of the connector, reserved ones too,
// reserving nothing.
func offlineList(c *call) (callResult, *apiError) {
	conds, aerr := offlineFilter(c, true)
	if aerr != nil {
		return callResult{}, aerr
	}
	less, aerr := offlineOrder(c, true, "ID")
	if aerr != nil {
		return callResult{}, aerr
	}
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	q, aerr := offlineAccess(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	connector := c.str("auth_connector")
	var rows []any
	for _, e := range sortedOffline(q.events, less) {
		if e.connector == connector && e.matches(c.portal, conds) {
			rows = append(rows, e.obj(c.portal, true))
		}
	}
	start, _ := strconv.Atoi(c.str("start"))
	return pageOf(rows, start), nil
}
