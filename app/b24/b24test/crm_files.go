package b24test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
)

// File-type user fields
// (https://apidocs.bitrix24.com/api-reference/files/how-to-upload-files.html,
// https://apidocs.bitrix24.com/api-reference/files/how-to-update-files.html).
// A record stores file ids: a string for a single field, a list for a
// multiple one. Uploaded files are kept per portal; seeded files are a
// function of their id, as seeded records are of theirs, and their bytes
// are made on download.

// storedFile is one uploaded file.
type storedFile struct {
	name string
	data []byte
}

// fileStore holds a portal's uploaded files; the zero value is empty.
type fileStore struct {
	byID map[int]storedFile
	next int
}

// uploadedBase is the first id of an uploaded file; smaller ids are seeded
// files, whose id spells the type, record, field and position (below 2^53,
// so that JSON readers keep them exact).
const uploadedBase = 1 << 50

func (fs *fileStore) add(name string, data []byte) int {
	if fs.byID == nil {
		fs.byID, fs.next = map[int]storedFile{}, uploadedBase
	}
	id := fs.next
	fs.next++
	fs.byID[id] = storedFile{name: name, data: data}
	return id
}

// fileFields are a single and a multiple file field; slot numbers the
// field in seeded file ids.
func fileFields(base string, single, multiple string) []*field {
	return []*field{
		{name: "UF_CRM_" + base + "6", typ: "file", uf: true, label: single, gen: genFiles(6, false)},
		{name: "UF_CRM_" + base + "7", typ: "file", uf: true, multiple: true, label: multiple, gen: genFiles(7, true)},
	}
}

func (f *field) isFile() bool { return f.typ == "file" && f.uf }

// seededFileID spells the entity type, record, position and field slot.
func seededFileID(et, rec, slot, k int) int { return et<<32 | (rec*4+k)*8 + slot }

// genFiles gives a third of the records a file in a single field and up
// to two in a multiple one.
func genFiles(slot int, multiple bool) genFunc {
	return func(g *genCtx, id int) any {
		if !multiple {
			if g.n(id, 700+uint64(slot), 3) != 0 {
				return ""
			}
			return strconv.Itoa(seededFileID(g.et, id, slot, 0))
		}
		n := g.n(id, 700+uint64(slot), 3)
		out := make([]string, n)
		for k := range n {
			out[k] = strconv.Itoa(seededFileID(g.et, id, slot, k))
		}
		return out
	}
}

var seededExt = []string{".pdf", ".txt", ".png", ".docx"}

// seededFile makes the name and bytes of a seeded file.
func seededFile(g *genCtx, fileID int) storedFile {
	low := fileID & (1<<32 - 1)
	k, rec := low/8%4, low/32
	ext := seededExt[g.n(rec, 710+uint64(low%32), len(seededExt))]
	name := fmt.Sprintf("scan-%d-%d%s", rec, k+1, ext)
	var b strings.Builder
	for i := range 20 + g.n(rec, 720+uint64(low%32), 200) {
		fmt.Fprintf(&b, "%s line %d %016x\n", name, i, g.h(rec, uint64(fileID)+uint64(i)))
	}
	return storedFile{name: name, data: []byte(b.String())}
}

// file finds a file a record's field holds.
func (p *Portal) file(s *entityStore, rec int, f *field, fileID int) (storedFile, bool) {
	if !s.exists(rec) || !slices.Contains(storedIDs(s.value(rec, f)), strconv.Itoa(fileID)) {
		return storedFile{}, false
	}
	if fileID >= uploadedBase {
		sf, ok := p.files.byID[fileID]
		return sf, ok
	}
	return seededFile(&s.g, fileID), true
}

// storedIDs reads a stored link or file value: a list, or one id ("" and
// "0" are none).
func storedIDs(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case string:
		if x != "" && x != "0" {
			return []string{x}
		}
	}
	return nil
}

var errFileValue = errors.New("invalid file value")

// fileInput applies a file field's input to its current value. crm.item
// takes ["name","base64"] for a new file, {"id":N} to keep one and ""
// to clear; the legacy methods take {"fileData":["name","base64"]} for a
// new file. A multiple field is set as a whole: files not listed go.
func (p *Portal) fileInput(cur any, f *field, v any, item bool) (any, error) {
	keep := storedIDs(cur)
	if !f.multiple {
		if v == nil || str(v) == "" && asObj(v) == nil {
			return "", nil
		}
		if o := asObj(v); o != nil && o.isList() && o.len() == 1 {
			v = o.values()[0] // [value] for the field's one value
		}
		ids, err := p.fileValues(keep, v, item)
		if err != nil || len(ids) == 0 {
			return "", err
		}
		return ids[0], nil
	}
	o := asObj(v)
	if o == nil {
		if str(v) == "" {
			return []string(nil), nil
		}
		return nil, fmt.Errorf("field %s: %w", f.name, errFileValue)
	}
	if isFilePair(o) || !o.isList() {
		return p.fileValues(keep, v, item) // one value for the whole field
	}
	var out []string
	for _, x := range o.values() {
		if asObj(x) == nil && str(x) == "" {
			continue // an empty value in the list: a form's way to send []
		}
		ids, err := p.fileValues(keep, x, item)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.name, err)
		}
		out = append(out, ids...)
	}
	return out, nil
}

// isFilePair reports whether o is ["name","base64"].
func isFilePair(o *obj) bool {
	vs := o.values()
	return o.isList() && len(vs) == 2 && asObj(vs[0]) == nil && asObj(vs[1]) == nil
}

// fileValues reads one value: a new file (stored at once) or the id of a
// file the field holds; another id drops the file.
func (p *Portal) fileValues(keep []string, v any, item bool) ([]string, error) {
	o := asObj(v)
	if o == nil {
		return nil, errFileValue
	}
	if id := str(valueCI(o, "id")); id != "" && !o.isList() {
		if slices.Contains(keep, id) {
			return []string{id}, nil
		}
		return nil, nil
	}
	pair := o
	if !item {
		if pair = asObj(valueCI(o, "fileData")); pair == nil {
			return nil, errFileValue
		}
	}
	if !isFilePair(pair) {
		return nil, errFileValue
	}
	vs := pair.values()
	name := path.Base(strings.ReplaceAll(str(vs[0]), "\\", "/"))
	data, err := base64.StdEncoding.DecodeString(str(vs[1]))
	if err != nil || name == "" || name == "." || name == "/" {
		return nil, errFileValue
	}
	return []string{strconv.Itoa(p.files.add(name, data))}, nil
}

// legacyFiles renders a file field for crm.X.get: an object per file,
// a list for a multiple field; nil when a single field is empty (the
// caller leaves it out).
func (s *entityStore) legacyFiles(rec int, f *field) any {
	ids := storedIDs(s.value(rec, f))
	l := listOf()
	for _, id := range ids {
		n, _ := strconv.Atoi(id)
		q := fmt.Sprintf("ownerId=%d&fieldName=%s&dynamic=Y&fileId=%d", rec, f.name, n)
		show := "/bitrix/components/bitrix/crm." + s.et.name + ".show/show_file.php?"
		l.push(objOf("id", n, "showUrl", show+q, "downloadUrl", show+"auth=&"+q))
	}
	if f.multiple {
		return l
	}
	if len(ids) == 0 {
		return nil
	}
	return l.values()[0]
}

// fileLinks is what crm.item needs to write file links: the portal's
// address and the caller's access token for urlMachine.
type fileLinks struct {
	base string // http://{domain}
	auth string
}

// itemFiles renders a file field for crm.item: {id, url, urlMachine} per
// file, a list for a multiple field, null for an empty single one.
func (s *entityStore) itemFiles(rec int, f *field, fl fileLinks) any {
	ids := storedIDs(s.value(rec, f))
	l := listOf()
	for _, id := range ids {
		n, _ := strconv.Atoi(id)
		q := fmt.Sprintf("entityTypeId=%d&id=%d&fieldName=%s&fileId=%d", s.et.id, rec, f.name, n)
		token := "crm|" + base64.RawURLEncoding.EncodeToString([]byte(q))
		l.push(objOf("id", n,
			"url", fl.base+"/bitrix/services/main/ajax.php?action=crm.controller.item.getFile&SITE_ID=s1&"+q,
			"urlMachine", fl.base+"/rest/crm.controller.item.getFile.json?auth="+url.QueryEscape(fl.auth)+"&token="+url.QueryEscape(token)))
	}
	if f.multiple {
		return l
	}
	if len(ids) == 0 {
		return nil
	}
	return l.values()[0]
}

// callFileLinks are the file links of a call's answer.
func callFileLinks(c *call) fileLinks {
	return fileLinks{base: "http://" + c.portal.Domain(), auth: c.token}
}

// fileRequest is a download request: which file of which record.
type fileRequest struct {
	entity      string // an entityTypeId or a type name
	rec, fileID int
	field       string
}

// parseFileURL recognises the three download addresses: the legacy
// showUrl/downloadUrl, crm.item's url and its urlMachine.
func parseFileURL(u *url.URL) (fileRequest, bool) {
	q := u.Query()
	lower := strings.ToLower(u.Path)
	switch {
	case strings.HasPrefix(lower, "/bitrix/components/bitrix/crm.") && strings.HasSuffix(lower, ".show/show_file.php"):
		name := strings.TrimSuffix(strings.TrimPrefix(lower, "/bitrix/components/bitrix/crm."), ".show/show_file.php")
		return fileRequestOf(name, q.Get("ownerId"), q.Get("fieldName"), q.Get("fileId")), true
	case lower == "/bitrix/services/main/ajax.php" && q.Get("action") == "crm.controller.item.getFile":
		return fileRequestOf(q.Get("entityTypeId"), q.Get("id"), q.Get("fieldName"), q.Get("fileId")), true
	case lower == "/rest/crm.controller.item.getfile.json" || lower == "/rest/crm.controller.item.getfile":
		raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(q.Get("token"), "crm|"))
		inner, _ := url.ParseQuery(string(raw))
		return fileRequestOf(inner.Get("entityTypeId"), inner.Get("id"), inner.Get("fieldName"), inner.Get("fileId")), true
	}
	return fileRequest{}, false
}

func fileRequestOf(et, rec, field, fileID string) fileRequest {
	r := fileRequest{entity: et, field: field}
	r.rec, _ = strconv.Atoi(rec)
	r.fileID, _ = strconv.Atoi(fileID)
	return r
}

// serveFile answers a download: the access token in auth= must be the
// portal's and its user must be allowed to read the record.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, p *Portal, fr fileRequest) {
	token := r.URL.Query().Get("auth")
	if token == "" {
		writeError(w, errNoAuth)
		return
	}
	at, aerr := s.lookupAccess(token)
	if aerr == nil && at.portal != p {
		aerr = errInvalidToken
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	p.mu.Lock()
	st := crmStore(p, fr.entity)
	var f *field
	if st != nil {
		f = st.et.byName[strings.ToUpper(fr.field)]
	}
	var sf storedFile
	found, denied := false, false
	if f != nil && f.isFile() {
		sf, found = p.file(st, fr.rec, f, fr.fileID)
		denied = found && !canRead(st, fr.rec, p.user(at.userID))
	}
	p.mu.Unlock()
	switch {
	case denied:
		writeError(w, errAccessDenied)
		return
	case !found:
		http.NotFound(w, r)
		return
	}
	typ := mime.TypeByExtension(path.Ext(sf.name))
	if typ == "" {
		typ = "application/octet-stream"
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Content-Length", strconv.Itoa(len(sf.data)))
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": sf.name}))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(sf.data)
	}
}

// AttachFile adds a file to a record's file field as a person (userID) or
// an automation would, through the legacy form, and fires the events: it
// replaces the file of a single field and joins those of a multiple one.
// It returns the new file's id.
func (p *Portal) AttachFile(entity string, id, userID int, fieldName, name string, data []byte) (int, error) {
	p.mu.Lock()
	s := crmStore(p, entity)
	p.mu.Unlock()
	if s == nil {
		return 0, fmt.Errorf("b24test: unknown entity %q", entity)
	}
	f := s.et.byName[strings.ToUpper(fieldName)]
	if f == nil || !f.isFile() {
		return 0, fmt.Errorf("b24test: %s has no file field %q", entity, fieldName)
	}
	upload := objOf("fileData", listOf(name, base64.StdEncoding.EncodeToString(data)))
	in := objOf(f.name, upload)
	p.mu.Lock()
	var before []string
	if s.exists(id) {
		before = storedIDs(s.value(id, f))
	}
	p.mu.Unlock()
	if f.multiple {
		l := listOf()
		for _, v := range before {
			l.push(objOf("id", v))
		}
		l.push(upload)
		in = objOf(f.name, l)
	}
	if err := p.updateRecordObj(entity, id, userID, in); err != nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range storedIDs(s.value(id, f)) {
		if !slices.Contains(before, v) {
			n, _ := strconv.Atoi(v)
			return n, nil
		}
	}
	return 0, fmt.Errorf("b24test: %s %d: the file was not attached", entity, id)
}
