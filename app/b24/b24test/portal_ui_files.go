package b24test

import (
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
)

// The file fields of a record's card: upload a file (a single field's file
// is replaced, a multiple field gains one), remove one, download one. The
// field is written as crm.item.update writes it, and the update event
// fires.

// maxUpload is the largest file the pages take.
const maxUpload = 8 << 20

type fileSection struct {
	Field    string
	Label    string
	Multiple bool
	Files    []fileLine
}

type fileLine struct {
	ID   string
	Name string
	URL  string
}

func (ui uiRequest) fileSections(rr recordRef, rec map[string]any) []fileSection {
	p := ui.portal
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.crm[rr.et.id]
	var out []fileSection
	for _, f := range rr.et.got {
		if !f.isFile() {
			continue
		}
		fs := fileSection{Field: f.name, Label: f.label, Multiple: f.multiple}
		for _, v := range storedIDs(rec[f.name]) {
			n, _ := strconv.Atoi(v)
			sf, ok := p.file(s, rr.id, f, n)
			if !ok {
				continue
			}
			fs.Files = append(fs.Files, fileLine{ID: v, Name: sf.name, URL: rr.base() + "files/" + f.name + "/" + v})
		}
		out = append(out, fs)
	}
	return out
}

// fileField is the record's file field a form names.
func fileField(rr recordRef, name string) (*field, error) {
	f := rr.et.byName[strings.ToUpper(name)]
	if f == nil || !f.isFile() {
		return nil, fmt.Errorf("there is no file field %q", name)
	}
	return f, nil
}

// uploadFile adds the posted file to a file field.
func uploadFile(ui uiRequest, r *http.Request, rr recordRef) (string, error) {
	f, err := fileField(rr, r.FormValue("field"))
	if err != nil {
		return "", err
	}
	file, head, err := r.FormFile("file")
	if err != nil {
		return "", fmt.Errorf("choose a file to upload")
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	name := path.Base(strings.ReplaceAll(head.Filename, "\\", "/"))
	if err != nil || name == "" || name == "." || name == "/" {
		return "", fmt.Errorf("the file could not be read")
	}
	upload := listOf(name, base64.StdEncoding.EncodeToString(data))
	if !f.multiple {
		return "", ui.writeItem(rr, objOf(f.name, upload))
	}
	l := ui.keptFiles(rr, f, "")
	l.push(upload)
	return "", ui.writeItem(rr, objOf(f.name, l))
}

// writeItem changes the record as crm.item.update does, whose file values
// read the same for every type, and fires its update event.
func (ui uiRequest) writeItem(rr recordRef, in *obj) error {
	p := ui.portal
	p.mu.Lock()
	err := p.updateRecord(rr.et, rr.id, in, true, ui.user)
	p.mu.Unlock()
	if err != nil {
		return err
	}
	p.changed(change{et: rr.et, action: "UPDATE", id: rr.id, actor: ui.user})
	return nil
}

// keptFiles is a multiple field's files less drop, as {"id": N} values.
func (ui uiRequest) keptFiles(rr recordRef, f *field, drop string) *obj {
	p := ui.portal
	p.mu.Lock()
	ids := storedIDs(p.crm[rr.et.id].value(rr.id, f))
	p.mu.Unlock()
	l := listOf()
	for _, v := range ids {
		if v != drop {
			l.push(objOf("id", v))
		}
	}
	return l
}

// removeFile takes a file out of its field.
func removeFile(ui uiRequest, r *http.Request, rr recordRef) (string, error) {
	f, err := fileField(rr, r.PostFormValue("field"))
	if err != nil {
		return "", err
	}
	id := r.PostFormValue("file")
	p := ui.portal
	p.mu.Lock()
	held := slices.Contains(storedIDs(p.crm[rr.et.id].value(rr.id, f)), id)
	p.mu.Unlock()
	if !held {
		return "", fmt.Errorf("the field holds no file %q", id)
	}
	var v any = ""
	if f.multiple {
		if l := ui.keptFiles(rr, f, id); l.len() > 0 {
			v = l
		}
	}
	return "", ui.writeItem(rr, objOf(f.name, v))
}

// serveDownload sends a file the record's field holds to a user who may
// read the record.
func (ui uiRequest) serveDownload(w http.ResponseWriter, r *http.Request, rr recordRef) {
	f, err := fileField(rr, r.PathValue("field"))
	fileID, err2 := strconv.Atoi(r.PathValue("file"))
	var sf storedFile
	found := false
	if err == nil && err2 == nil {
		p := ui.portal
		p.mu.Lock()
		sf, found = p.file(p.crm[rr.et.id], rr.id, f, fileID)
		p.mu.Unlock()
	}
	if !found {
		ui.message(w, r, http.StatusNotFound, "Not found", "There is no such file.")
		return
	}
	typ := mime.TypeByExtension(path.Ext(sf.name))
	if typ == "" {
		typ = "application/octet-stream"
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Content-Length", strconv.Itoa(len(sf.data)))
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": sf.name}))
	_, _ = w.Write(sf.data)
}
