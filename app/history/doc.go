// Package history turns successive states of a Bitrix24 CRM record into a
// field-by-field change history.
//
// Bitrix24 events carry only a record's ID, never its old or new values, so
// Trail keeps a Snapshot of each record as the legacy REST methods return it
// (crm.deal.get and friends: UPPER_CASE keys, values mostly strings) and
// compares it with the state fetched after each event. The same field can come
// back spelled differently without anyone having touched it ("100" and
// "100.00", one instant in two time zones, null and ""), so values are first
// brought to a canonical form (Normalize) and only then compared (Diff).
// A stored snapshot keeps every field the portal returned, empty ones as
// null, so that a field filled in from empty is a change while a field the
// snapshot never held (added to the portal later) is a change from Unknown.
//
// Everything here is a pure function of its arguments: no I/O, no clock, no
// global state beyond fixed tables.
package history
