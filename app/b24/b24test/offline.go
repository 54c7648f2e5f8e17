package b24test

import (
	"sort"
	"strconv"
	"time"
)

// offlineEvent is one queued record of event.offline.get.
type offlineEvent struct {
	id        int
	messageID string
	ts        time.Time
	name      string
	objectKey string
	entityID  int
	userID    int
	connector string
	processID string
	errored   bool
}

// offlineQueue keeps one record per changed object and connector: a newer
// change of the same object replaces the unreserved record.
type offlineQueue struct {
	events []*offlineEvent
	nextID int
}

func (q *offlineQueue) put(p *Portal, connector, name string, ch change, now time.Time) {
	key := ch.et.name + ":" + strconv.Itoa(ch.id)
	uid := 0
	if ch.actor != nil {
		uid = ch.actor.id
	}
	for _, e := range q.events {
		if e.objectKey == key && e.connector == connector && e.processID == "" {
			e.name, e.ts, e.userID, e.errored = name, now, uid, false
			return
		}
	}
	q.nextID++
	q.events = append(q.events, &offlineEvent{id: q.nextID, messageID: randomHex(16), ts: now, name: name, objectKey: key, entityID: ch.id, userID: uid, connector: connector})
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
		"EVENT_DATA", objOf("FIELDS", objOf("ID", e.entityID)),
		"EVENT_ADDITIONAL", objOf("user_id", strconv.Itoa(e.userID)),
		"MESSAGE_ID", e.messageID,
	)
	if full {
		o.set("PROCESS_ID", nilIfEmpty(e.processID))
		o.set("ERROR", map[bool]string{true: "1", false: "0"}[e.errored])
	}
	return o
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// offlineAccess checks the admin right and returns the queue; p.mu held.
func offlineAccess(c *call) (*offlineQueue, *apiError) {
	if !c.user.admin.Load() {
		return nil, errAccessDenied
	}
	if c.portal.inst == nil {
		return nil, errInvalidToken
	}
	return &c.portal.inst.offline, nil
}

// offlineGet hands out up to limit unreserved records. clear=1 (default)
// deletes them; clear=0 reserves them under a process_id until
// event.offline.clear, so parallel readers get disjoint sets.
func offlineGet(c *call) (callResult, *apiError) {
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	q, aerr := offlineAccess(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	limit := 50
	if n, err := strconv.Atoi(c.str("limit")); err == nil && n > 0 {
		limit = min(n, 1000)
	}
	clear := c.str("clear") != "0"
	withErrors := c.str("error") == "1"
	connector := c.str("auth_connector")
	pid := c.str("process_id")
	if !clear && pid == "" {
		pid = randomHex(16)
	}
	var picked []*offlineEvent
	for _, e := range q.events {
		if len(picked) == limit {
			break
		}
		if e.processID == "" && e.connector == connector && (withErrors || !e.errored) {
			picked = append(picked, e)
		}
	}
	out := listOf()
	for _, e := range picked {
		out.push(e.obj(c.portal, false))
		if !clear {
			e.processID = pid
		}
	}
	if clear {
		q.drop(func(e *offlineEvent) bool { return containsEvent(picked, e) })
		return ok(objOf("process_id", nil, "events", out))
	}
	return ok(objOf("process_id", pid, "events", out))
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

// selected reports whether e is named by the id[] / message_id[] params
// (all records of the process when neither is given).
func selected(c *call, e *offlineEvent) bool {
	ids, _ := c.param("id")
	msgs, _ := c.param("message_id")
	if ids == nil && msgs == nil {
		return true
	}
	for _, s := range strList(ids) {
		if s == strconv.Itoa(e.id) {
			return true
		}
	}
	for _, s := range strList(msgs) {
		if s == e.messageID {
			return true
		}
	}
	return false
}

func offlineClear(c *call) (callResult, *apiError) {
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	q, aerr := offlineAccess(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	pid := c.str("process_id")
	if pid == "" {
		return callResult{}, errArgument("process_id is required", "PROCESS_ID")
	}
	q.drop(func(e *offlineEvent) bool { return e.processID == pid && selected(c, e) })
	return ok(true)
}

// offlineError flags records as failed and releases them from the process.
func offlineError(c *call) (callResult, *apiError) {
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	q, aerr := offlineAccess(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	pid := c.str("process_id")
	if pid == "" {
		return callResult{}, errArgument("process_id is required", "PROCESS_ID")
	}
	for _, e := range q.events {
		if e.processID == pid && selected(c, e) {
			e.errored, e.processID = true, ""
		}
	}
	return ok(true)
}

func offlineList(c *call) (callResult, *apiError) {
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	q, aerr := offlineAccess(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	connector := c.str("auth_connector")
	var rows []any
	evs := append([]*offlineEvent(nil), q.events...)
	sort.SliceStable(evs, func(a, b int) bool { return evs[a].id < evs[b].id })
	for _, e := range evs {
		if e.connector == connector {
			rows = append(rows, e.obj(c.portal, true))
		}
	}
	start, _ := strconv.Atoi(c.str("start"))
	return pageOf(rows, start), nil
}
