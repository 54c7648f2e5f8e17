// Package b24test is a Bitrix24 emulator for tests, benchmarks and local
// runs, in the style of net/http/httptest: many portals, their OAuth
// server and a control API behind one HTTP listener.
//
//	srv := b24test.NewTestServer(t, b24test.Options{Deals: 1000, App: &b24test.App{...}})
//	p := srv.Portals()[0]
//	p.Install()                       // ONAPPINSTALL, application_token
//	tok, err := p.IssueTokens(p.AdminID())
//	srv.Client().Get(p.ClientEndpoint() + "crm.deal.list?auth=" + tok.AccessToken)
//
// NewServer starts one outside a test (the standalone command, benchmarks).
//
// The package follows the Bitrix24 REST documentation
// (https://apidocs.bitrix24.com/) and imports nothing else of the project:
// it is the ground truth the client is tested against.
//
// # Addresses
//
// Portals are routed by Host header: portal N is portal-N.localhost:PORT
// (Chromium resolves *.localhost to loopback), its REST base
// (client_endpoint) http://portal-N.localhost:PORT/rest/ and its sign-in
// page /oauth/authorize/ on the same host. The authorization server is
// oauth.localhost:PORT (server_endpoint http://oauth.localhost:PORT/rest/,
// token endpoint /oauth/token/). The admin's incoming webhook
// http://127.0.0.1:PORT/rest/1/{secret}/{method} works with any Host
// header. Server.Client dials the listener for every host name. Requests
// to a portal host that are neither REST nor OAuth get the portal's own
// pages: CRM lists, record cards with an edit form, detail tabs and the
// app page, which open the application in iframes as Bitrix24 does and
// answer its postMessage commands (portal_ui*.go, frame.go, ui/).
// Options.Pages replaces them (PortalFromContext names the portal).
//
// # Control API
//
// The Go methods of Server and Portal have an HTTP face under /_emulator/
// on any host ({portal} is a member_id or a domain; user_id 0 is
// Automation):
//
//	GET    /_emulator/portals                                  PortalInfo list
//	POST   /_emulator/app                                      register the app (App JSON)
//	POST   /_emulator/portals/{portal}/install                 → {"application_token"}
//	POST   /_emulator/portals/{portal}/complete-install        installFinish
//	POST   /_emulator/portals/{portal}/update                  next version, ONAPPUPDATE → {"application_token"}
//	POST   /_emulator/portals/{portal}/uninstall?clean=1       tokens die, then ONAPPUNINSTALL
//	POST   /_emulator/portals/{portal}/tokens                  {"user_id"} → token pair
//	POST   /_emulator/portals/{portal}/tokens/expire           early expiry
//	POST   /_emulator/portals/{portal}/tokens/revoke           invalid_token from now on
//	POST   /_emulator/portals/{portal}/records/{entity}        {"user_id","fields"} → {"id"}
//	PATCH  /_emulator/portals/{portal}/records/{entity}/{id}   {"user_id","fields"}
//	DELETE /_emulator/portals/{portal}/records/{entity}/{id}?user_id=N
//	PUT    /_emulator/portals/{portal}/records/{entity}/{id}/productrows  {"user_id","rows"} (legacy names; GET reads)
//	POST   /_emulator/portals/{portal}/records/{entity}/{id}/files/{field}?user_id=N&name=F
//	                                                           body = the file's bytes → {"id"}
//	GET    /_emulator/portals/{portal}/faults                  Faults JSON (PUT to set)
//	GET    /_emulator/portals/{portal}/plan                    {"plan"} (PUT to set)
//	GET    /_emulator/portals/{portal}/stats                   requests, limited, refreshes
//	GET    /_emulator/portals/{portal}/deliveries              Delivery list
//	POST   /_emulator/portals/{portal}/deals/{id}/move         {"user_id","category_id","stage_id"}: ONCRMDEALMOVETOCATEGORY
//
// # Data
//
// Each portal has six users: the administrator (id 1) and ordinary users;
// user 4 has the CRM read right "own records only" (get of others' records
// fails as the method family fails, lists are filtered to
// ASSIGNED_BY_ID=4). Portal.DenyAdd takes a type's "add" right from a
// user's role (crm.X.add and crm.item.add then answer "Access denied"; an
// administrator keeps every right). Portal.DenyRead takes a type's read
// right: its gets and crm.item.fields answer "Access denied" and its lists
// leave every record out. An app granted only user_brief or user_basic reads
// users with that scope's fields (no EMAIL with user_brief). Deals (three pipelines), leads, contacts and companies
// are computed from (seed, portal, type, id) on every read; a record that
// is added or changed is kept whole in an overlay. A million deals
// therefore cost a few bytes each until changed (BenchmarkMemoryPerDeal).
// Money is formatted "19999.99", datetimes carry the portal's UTC offset
// (2024-08-30T14:29:00+02:00; portals differ, users 1 and 4 keep the
// portal's zone, the others have their own TIME_ZONE), dates are midnight
// UTC in that offset (2024-06-18T02:00:00+02:00), multifields have ids, and
// every type has five UF_CRM_* fields (string, enumeration, double, date,
// multiple string). The standard fields are those of the crm.X.fields
// examples with their types, flags and titles (45 for deals, 57 for leads,
// 49 for contacts, 57 for companies: the example's PARENT_ID_156 belongs
// to a smart process the portal does not have), generated records fill
// them (addresses, UTM tags, websites, messengers, open-line chats).
// System fields move on their own: DATE_MODIFY and MODIFY_BY_ID on every
// edit, MOVED_* on a stage or status change, HAS_PHONE, HAS_EMAIL and
// HAS_IMOL (an IM value of type IMOL) with the multifields, a lead's
// STATUS_SEMANTIC_ID and DATE_CLOSED with its status, and
// LAST_ACTIVITY_TIME/LAST_ACTIVITY_BY (and a company's
// LAST_COMMUNICATION_TIME for a call or an e-mail) when crm.activity.add
// or Portal.AddActivity logs an activity on the record. crm.category.list names the deal pipelines (the
// default one, 0, too) and crm.currency.list the four currencies in use.
// crm.stagehistory.list has the stage history of leads, deals, smart
// invoices and smart processes (their own pipelines and stages): a
// created row, a row for every stage move (any write path) and for a
// pipeline move (crm.item.update with categoryId, which sends
// ONCRMDEALMOVETOCATEGORY instead of ONCRMDEALUPDATE), listed for the
// deal's current pipeline only. Generated records have a generated past
// that starts at DATE_CREATE in the pipeline's first stage and ends in
// their stage at MOVED_TIME, computed on read like the records.
// Deals, leads, estimates, smart invoices and smart processes with
// products have product rows (crm.item.productrow.*, the legacy
// crm.deal|lead.productrows.*, Portal.SetProductRows) naming products of a
// fixed catalogue (crm.product.*); a generated record's rows are computed
// from the seed too (three in ten have none, the others one to four) and,
// unless its amount is manual, add up to its OPPORTUNITY and TAX_VALUE.
// Only the rows of an owner whose rows were written are kept.
//
// # Estimates, smart invoices and smart processes
//
// crm.item.* serves every type by entityTypeId through one lookup
// (Portal.crmType): the legacy four, estimates (7) and smart invoices (31)
// are the same for every portal, smart processes belong to one. A portal
// starts with Options.SmartProcesses of them (`trail emulate -spa`), each
// with two pipelines, a parent link to deals (parentId2), user fields of
// every kind (string, double, enumeration, money, date, multiple, file,
// crm link) and Options.SmartProcessItems generated items (-spa-items);
// Options.Quotes and SmartInvoices (-quotes, -invoices) generate those.
// Generated items are computed on read like deals. crm.type.* adds,
// changes and deletes smart processes (settings key id vs entityTypeId),
// userfieldconfig.* their user fields; crm.category.list/get/fields and
// crm.status.list/entity.types cover every pipeline and stage dictionary
// (DYNAMIC_{id}_STAGE_{cat}, SMART_INVOICE_STAGE_{cat}, QUOTE_STATUS).
// Changes fire ONCRMQUOTE*, ONCRMDYNAMICITEM* with ENTITY_TYPE_ID (and
// ONCRMDYNAMICITEM*_{id} for a smart process), ONCRMTYPE* and
// ONCRMTYPEUSERFIELD*, online and offline; CRM_QUOTE_*, CRM_SMART_INVOICE_*
// and CRM_DYNAMIC_{id}_* placements bind, and the portal pages list the
// items under /crm/type/{id}/ and open the detail tab on their cards.
// Every card's form edits its type's fields; under it a card edits the
// record's product rows, linked contacts and files, moves a deal to another
// pipeline and shows the stage history, each through the write path of
// the matching REST method (portal_ui_sections.go).
// Portal.MoveDeal (and its control endpoint) moves a deal to another
// pipeline as crm.item.update with categoryId does: the same record
// changes, stage-history row and ONCRMDEALMOVETOCATEGORY. AddRecord, UpdateRecord,
// DeleteRecord and Record (and /records/{entity}) take quote,
// smart_invoice and dynamic_{entityTypeId} too.
//
// # Limits
//
// Per portal, shared by the app and webhooks: a leaky bucket (Burst 50,
// Drain 2/s; EnterpriseLimits 250 and 5/s) refuses with 503
// QUERY_LIMIT_EXCEEDED before execution, counting a batch once; refused
// requests do not fill the bucket. The operating budget (480 s per method
// per application or webhook in a 10-minute window of one-minute buckets)
// answers 429 OPERATION_TIME_LIMIT once spent; the call that crosses it
// still runs, batch's nested calls count for their own methods. Every
// answer carries the full time block. Options.Now makes all of it
// testable without sleeping.
//
// # Cost model
//
// Cost is the simulated server time: Base per HTTP request, PerCall per
// method call (batch commands included), PerRow per returned row, PerField
// and PerUserField per selected standard or user field of a returned row,
// PerOffsetRow per row skipped to reach start, PerCountedRow per matching
// row counted for total (any start but -1). It is reported as processing
// and operating, charged to the operating budget and really waited before
// answering; the emulator's own compute time is charged only when the model
// is off, so a busy test machine spends no more of a portal's budget. A request whose simulated time passes Limits.RequestTimeout
// (60 s) is cut off: after that time it answers 500 INTERNAL_SERVER_ERROR
// and each of its calls is charged at most the time limit.
//
// Options.Cost is zero (off) by default. DefaultCost, the cheap model
// `trail emulate` uses unless -cost realistic, is 30 ms, 2 ms, 20 µs, no
// field cost, 2 µs and 2 µs: a 200,000-deal keyset scan in 80 batches of 50
// pages costs about 14 s of server time and stays under the standard
// limits. RealisticCost is calibrated on the one measured page in the docs
// (a 3-field crm.item.list keyset page of 50 rows: 0.0685 s processing,
// 0.0979 s in all; counting 2,387,743 rows: 49.9 s): 29 ms, 40 ms, 0.4 ms,
// 57 µs per field, 114 µs per user field, 2 µs and 20.9 µs. A page of every
// deal field then takes about 0.21 s, a full listing of 200,000 deals about
// 830 s: the operating budget, not the request rate, bounds it.
// Limits.MinDuration gives the least wall time the bucket allows for n
// requests.
//
// # Events
//
// Changes made through REST or through the Go/control API (a person or
// Automation editing in the portal) reach online handlers as the
// documented form POST (event, event_handler_id, data[FIELDS][ID], ts,
// auth[...]) from a queue served by Options.EventWorkers senders (default
// 4) with Options.EventTimeout (default 5 s), one attempt each, no retries.
// auth carries the documented keys with the acting user's fresh tokens
// (refresh_token included, no user_id or expires: only ONAPPINSTALL and
// ONAPPUPDATE carry those), or no tokens for Automation.
// Offline bindings queue records keyed by MESSAGE_ID, md5(EVENT_NAME + "|"
// + json(EVENT_DATA)): a deal's ADD, UPDATE and DELETE are three records, a
// repeat refreshes the unreserved record's TIMESTAMP_X and user, and a
// repeat of a reserved record makes a new one. EVENT_DATA carries the id
// as a string, EVENT_ADDITIONAL the acting user ("0" for Automation). The
// application's own writes (its OAuth tokens) do not reach its bindings
// with the auth_connector they were made with, "" included; webhooks,
// people and other connectors do. event.offline.get reads oldest
// TIMESTAMP_X first (or as ordered, after the filter) with clear (delete
// at read), clear=0 (reserve under a process_id) and process_id (re-read
// a batch; with clear=1 the whole batch is deleted); .clear, .error and
// .list validate and behave as documented, pitfalls included. Bound ONOFFLINEEVENT handlers are told,
// throttled by options[minTimeout]. Nothing is delivered before the
// installation is complete. Results are in Portal.Deliveries and
// /_emulator/portals/{portal}/deliveries.
//
// # Plans
//
// Options.Plan (Portal.SetPlan, PUT /_emulator/portals/{portal}/plan,
// `trail emulate -plan`) is the portal's plan. The default, PlanProfessional, has every REST feature. PlanBasic
// and PlanStandard lack rest_offline_extended and rest_auth_connector:
// event.offline.get with clear=0 and auth_connector on event.* and
// event.offline.* answer 403 WRONG_LICENSE, and feature.get {CODE} answers
// {"value":"N"} for them.
//
// # Unconfirmed choices
//
// Where the documentation leaves the behaviour open, the emulator does:
//
//   - A user whose role may not read a type (DenyRead) is answered
//     crm.item.fields with ACCESS_DENIED "Access denied" (the docs say the
//     method needs the read right, not what it answers without it), and
//     empty lists of the type rather than an error.
//   - A repeat of an event whose record is marked erroneous (and released)
//     refreshes that record and clears the mark, so the change is read
//     again by error=0 readers.
//   - event.offline.error releases the marked records from their batch
//     (error=1 reads them) and deletes records of the same MESSAGE_ID
//     outside the batch, reserved by other batches included.
//   - event.offline.clear with process_id given as "" deletes the
//     connector's records outside every batch; without process_id it
//     answers ERROR_ARGUMENT.
//   - Basic and Standard lack both gated features (the docs name
//     Professional and above for auth_connector only); Enterprise has
//     them. feature.get answers "N" for unknown codes and ERROR_ARGUMENT
//     without CODE.
//   - event.offline.* answer ACCESS_DENIED to a non-administrator before
//     WRONG_LICENSE.
//   - Offline filters read TIMESTAMP_X without an offset in the portal's
//     zone, match EVENT_NAME in any case, and take % as a case-insensitive
//     substring; clear and error are read as PHP reads them ("", "0" and
//     false are off).
//
// # Installation lifecycle
//
// Install gives the installation a new application_token, also when it
// follows an uninstall (whether a reinstall changes it is unconfirmed; a
// new one is the case an app must handle). Update (an administrator
// installing the next version) raises the installation's version, which
// app.info reports as VERSION, issues a new application_token and sends
// ONAPPUPDATE with the administrator's tokens; bindings are kept (the
// current revision of event.bind's page). Uninstall kills every token of
// the portal first and then sends ONAPPUNINSTALL without tokens: the docs
// say API access is already revoked when it is sent (the exact order is
// unconfirmed). From then on the saved access tokens answer 401
// invalid_token and their refresh tokens 400 invalid_grant (the code for
// a refresh token that no longer works; the docs do not name the answer
// after an uninstall). user.admin answers true for the administrator
// (id 1) only. Server.OAuthRequests counts every request to the token
// endpoint, refused ones included.
//
// # Languages and zones
//
// Each portal has a language (Options.Language, trail emulate -lang,
// Portal.SetLanguage; en unless set) out of Languages, and a time zone
// (Options.TimeZone, -tz; else a UTC offset of its own); a user may choose
// another and a time zone of their own in the portal header's form or
// through Portal.SetUserLanguage and SetUserTimeZone. The frame's LANG (query
// and getInitData) is the user's language and the portal pages' few words
// (menu, card tabs, header) follow it, as does a detail tab's title
// when placement.bind gave LANG_ALL; user.current and user.get report the
// zone as TIME_ZONE ("" for the portal's) and no language, as documented.
//
// # UNCONFIRMED choices
//
// Where the documentation leaves the behaviour open, the emulator does
// what it documents as most likely:
//
//   - data[LANGUAGE_ID] of ONAPPINSTALL, ONAPPUPDATE and ONAPPUNINSTALL is
//     the language of the administrator who installs, updates or removes
//     the app; app.info's LANGUAGE_ID is the portal's language (its LICENSE
//     stays en_project).
//   - Logging an activity moves only LAST_ACTIVITY_TIME, LAST_ACTIVITY_BY
//     and (companies, calls and e-mails) LAST_COMMUNICATION_TIME: the
//     record's DATE_MODIFY and MODIFY_BY_ID stay and no ONCRMXUPDATE is
//     sent. LAST_COMMUNICATION_TIME is written like a datetime field.
//   - A lead's DATE_CLOSED is set when it reaches a final status and
//     cleared when it goes back to one in progress; MOVED_* move with
//     its status.
//   - The link lists CONTACT_IDS, COMPANY_IDS and a company's CONTACT_ID
//     are taken by add and update but not returned by crm.X.get or list
//     (the get examples lack them); the deprecated single link is the
//     primary one, the first of a list written whole. crm.item returns the
//     list.
//   - isRequired is false everywhere: the examples' required names and
//     titles depend on the portal's form settings.
//   - A request cut off at the 60 s limit answers HTTP 500
//     INTERNAL_SERVER_ERROR "Internal server error" (the docs do not say what
//     the client receives) and is charged 60 s per call, not its full cost.
//   - The cost of a field beyond the documented 3-field page is a guess: a
//     standard field costs 57 µs per row, a user field twice that (its
//     values live in a table of their own); skipping rows to reach an
//     offset costs 2 µs each. None of these is documented.
//   - crm.stagehistory.list honours start=-1 (no count), lists only rows
//     of records the caller may read and none of a deleted record, leaves
//     unknown select names out and refuses unknown filter and order fields
//     with crm.item.list's INVALID_ARG_VALUE texts. entityTypeId 5 (old
//     invoices, not emulated) answers an empty list.
//   - Generated records' history rows take ids record by record (four ids
//     each), so their ID order follows the record, not the time; rows of
//     changes come after all of them, in time order. A deal moved back to
//     an earlier pipeline lists that pipeline's earlier rows again.
//   - A pipeline move without a stage of the new pipeline enters its first
//     stage; its row has TYPE_ID 5 whatever the stage's semantics. The
//     offline record of ONCRMDEALMOVETOCATEGORY carries only the ID.
//   - A batch whose simulated time passes the request's time limit is cut
//     off as one request (HTTP 500 INTERNAL_SERVER_ERROR, no per-command
//     answer): the docs limit the request, and a batch is one. Its commands
//     up to the one that crossed the limit have taken effect, those after
//     it have not run.
//
// # Deviations and gaps
//
//   - Handler URLs on loopback and plain http are accepted (Bitrix24 wants
//     public https hosts).
//   - Authorization: Bearer is accepted everywhere (unconfirmed in docs).
//   - app.info on the authorization server (oauth.localhost/rest/app.info)
//     answers result.install.uri as public code expects; its other keys
//     are a guess.
//   - Filter dates without an offset are read in the portal's zone.
//   - A refresh kills the used refresh token, not the access token issued
//     with it; unknown or revoked access tokens answer invalid_token.
//   - crm.item's nested filters with logic OR, requisites,
//     activities (beyond crm.activity.add moving its owner's system
//     fields), timeline, the legacy crm.quote.* and crm.X.userfield
//     add/update are not emulated; crm.item booleans stay "Y"/"N".
//   - Items of the legacy four carry no entityTypeId key in crm.item (as
//     before; other types' items do).
//   - user.get filters only by ID, NAME, LAST_NAME, EMAIL, ACTIVE.
//   - Deleting a record leaves the links to it.
//   - Only one application can be registered per emulator; app options,
//     REST 3.0, the .xml format, the 302 after a domain change and
//     PAYMENT_REQUIRED are not emulated.
//   - A deleted portal still refreshes tokens.
//   - Listing 1,000,000 records by any order but ID sorts every match and
//     takes seconds of real CPU; ID order and keyset pages do not. The
//     same holds for their stage history.
//   - event.bind and placement.bind accept http://localhost handlers (a
//     host without a dot is otherwise ERROR_WRONG_HANDLER_URL).
//   - The portal pages are a small likeness of Bitrix24's. Frame commands
//     that need a real portal UI (closeApplication, selectUser, im*, …)
//     are answered with nothing done (ui/static/frame.js lists those that
//     act).
//
// # Unconfirmed choices
//
//   - An event caused by automation keeps auth[domain], client_endpoint,
//     server_endpoint, member_id, status, scope and application_token;
//     access_token, refresh_token and expires_in are left out.
//   - auth[scope] of an event is the app's scope list.
//   - crm.deal|lead|contact|company.list page by page number (start=37
//     answers rows 1–50 with next=50); a page past the end is empty.
//   - The legacy lists compare crm_status, crm_contact and crm_company
//     fields exactly under %, =% and %= ("LIKE does not work" on them).
//   - A filter value that a batch reference made an array of rows (a
//     keyset chain over a short page) matches nothing.
//   - crm.item.list ignores a filter or order that is not an array; it
//     never answers "Invalid filter: field 'X' has invalid value".
//   - A product row change (crm.item.productrow.add, update, delete and
//     set, crm.deal|lead.productrows.set, Portal.SetProductRows) saves its
//     owner: DATE_MODIFY and MODIFY_BY_ID move, OPPORTUNITY (and a deal's
//     TAX_VALUE) become the rows' totals unless IS_MANUAL_OPPORTUNITY is
//     Y, and the owner's ONCRMDEALUPDATE or ONCRMLEADUPDATE fires, also
//     when the totals stay the same. A write of OPPORTUNITY through the
//     record's own update is kept as written, rows or not.
//   - A row's price includes its discount and its tax whether taxIncluded
//     is Y or N: priceExclusive is price / (1 + taxRate/100), OPPORTUNITY
//     the sum of price × quantity, TAX_VALUE the sum of (price −
//     priceExclusive) × quantity; taxIncluded is kept and returned only.
//     priceAccount is price (no conversion to a report currency), storeId
//     0, customized Y; the legacy PRICE_EXCLUSIVE, PRICE_NETTO and
//     PRICE_BRUTTO of a set are ignored (computed from PRICE).
//   - crm.item.productrow.set and crm.deal|lead.productrows.set give every
//     row a new id, re-sent or not; a row without sort gets 10 × its place.
//   - crm.deal|lead.productrows.set without rows (or rows not an array)
//     removes every row, as rows=[] does.
//   - crm.item.productrow.add ignores unknown and read-only keys;
//     crm.item.productrow.update refuses them (and ownerId, ownerType) with
//     INVALID_ARG_VALUE. A value that is not a number, a discountTypeId
//     other than 1 or 2 or a discountRate outside 0–100 is
//     INVALID_ARG_VALUE (ERROR_CORE in the legacy set); a missing required
//     parameter is code 100.
//   - An ownerType of a type without rows (C, CO, a smart process without
//     isLinkWithProductsEnabled, unknown codes) answers
//     ENTITY_TYPE_NOT_SUPPORTED; crm.item.productrow.list of an owner that
//     does not exist answers no rows, add and set OWNER_NOT_FOUND.
//   - A row's productId need not be in the catalogue; a row without
//     productId and productName is named "[{id}]", one with a catalogue
//     product and no name takes the product's name, unit and type (7 for
//     services, else 1). crm.product.list filters on ID and NAME only.
//   - A binding method that changes the links (crm.deal.contact.add,
//     delete, items.set, items.delete and the others) is an update of the
//     owner: DATE_MODIFY and MODIFY_BY_ID move and ONCRM{OWNER}UPDATE is
//     sent. A call that changes nothing (add of a linked record, delete of
//     an unlinked one, items.delete of none) does neither.
//   - items.set without IS_PRIMARY "Y" makes the first item given primary,
//     whatever its SORT; add without SORT puts the record last (the last
//     SORT + 10); binding a record that does not exist answers "Not found.".
//   - Writing the link list itself (CONTACT_IDS, contactIds, COMPANY_IDS)
//     renumbers SORT 10, 20, … and makes the first primary.
//   - A contact's companies (COMPANY_IDS, crm.contact.company.*) and a
//     company's contacts (its CONTACT_ID, crm.company.contact.*) are one
//     relation: a change on one side shows on the other, whose records
//     change silently (no DATE_MODIFY, no event). Each side keeps its own
//     SORT and primary. Seeded contact c up to three times the number of
//     companies n belongs to company 1 + (c-1) mod n, three times in four.
//   - Seeded deals and leads have one contact or none, a fifth of those
//     with one get one or two more; seeded SORT is 10, 20, …, the first
//     primary, ROLE_ID 0.
//   - crm.item shows a single file field as one {id,url,urlMachine} object
//     (null when empty) and takes ["name","base64"], [that pair] or
//     {"id":N}.
//   - The legacy methods set a multiple file field as a whole, as crm.item
//     does: {"fileData":[…]} adds a file, {"id":N} keeps one, the rest go.
//     The undocumented del/old_id forms are not emulated.
//   - Every download address (the legacy downloadUrl and showUrl, crm.item's
//     url and urlMachine) needs auth= with an access token of the portal:
//     401 without or with a dead one, 403 when its user may not read the
//     record, 404 for a file the record no longer holds. The answer has
//     Content-Type by the name's extension, Content-Length and
//     Content-Disposition: attachment; filename=…. urlMachine's token=
//     names the record and file unsigned; a webhook call's urlMachine has an
//     empty auth=.
//   - Seeded deals and contacts have a file in their single file field one
//     time in three and up to two in the multiple one; the bytes are made
//     from the seed on download.
//   - ONCRMDYNAMICITEM{ADD|UPDATE|DELETE}_{entityTypeId} exist for smart
//     processes only, not for smart invoices; with both the generic and the
//     per-type event bound, both are delivered.
//   - Moving a smart-process item or smart invoice to another pipeline
//     (crm.item.update with categoryId) fires ONCRMDYNAMICITEMUPDATE; a
//     stage of the old pipeline becomes the new pipeline's first stage.
//   - Smart-invoice user fields are named UF_CRM_SMART_INVOICE_{POSTFIX}
//     (camelCase by the simplified rule).
//   - New smart processes get entityTypeIds from 128 to 191, then from
//     1030; crm.type.add accepts an entityTypeId only in those ranges.
//   - Pipeline ids are shared by every type: deals 0–2, smart invoices 3,
//     smart processes from 10. Smart-process stages are NEW, PREPARATION,
//     CLIENT, SUCCESS, FAIL; smart-invoice stages N, S, P (success), D
//     (failure); estimate statuses DRAFT, SENT, RECEIVED, APPROVED,
//     DECLAINED. crm.status.list numbers their rows after the shared ones.
//   - userfieldconfig.add/update/delete by a non-administrator answer
//     "No settings for UserFieldAccess" with an empty code; a field of
//     another type's object (CRM_{entityTypeId}) is refused the same way.
//   - A product row change of an estimate, smart invoice or smart-process
//     item saves it as one of a deal (UPDATED_BY, UPDATED_TIME, amounts)
//     and fires its own update event: ONCRMQUOTEUPDATE, or
//     ONCRMDYNAMICITEMUPDATE (and _{entityTypeId} for a smart process).
//     Seeded items of smart processes from entityTypeId 1030 have no
//     generated rows (generated row ids name the type in 7 bits).
//   - crm.quote.contact.* are the deal's binding methods for estimates
//     (same shapes, errors and ONCRMQUOTEUPDATE); smart processes and
//     smart invoices have none (crm.item.update with contactIds).
//   - A parentId{N} without a parent is null in crm.item and "0" in the
//     legacy form of the Go API; Portal.UpdateRecord and AttachFile take a
//     smart-process or smart-invoice file field in the legacy form
//     ({"fileData":[name, base64]}), as they do a deal's. Smart invoices
//     have a single file field (UF_CRM_SMART_INVOICE_1700000051), a tenth
//     of the seeded ones with a file, as smart processes do.
//   - A smart process without stages (isStagesEnabled N) has no stage
//     history: crm.stagehistory.list answers ENTITY_TYPE_NOT_SUPPORTED.
//     A seeded smart-process item's or smart invoice's generated past is
//     a deal's: created in its pipeline's first stage, ending in its stage
//     at its movedTime.
//   - A card's product-row, contact and file changes on the portal pages
//     save the record and fire its update event, as the REST changes do;
//     a row changed on the card keeps its id, as crm.item.productrow.update
//     keeps it.
package b24test
