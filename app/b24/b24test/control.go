package b24test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// control serves the lifecycle API listed in the package documentation.
func (s *Server) control() http.Handler {
	s.ctlOnce.Do(func() { s.ctl = s.newControl() })
	return s.ctl
}

func (s *Server) newControl() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_emulator/portals", func(w http.ResponseWriter, r *http.Request) {
		var out []PortalInfo
		for _, p := range s.portals {
			out = append(out, p.Info())
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /_emulator/app", func(w http.ResponseWriter, r *http.Request) {
		var a App
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
			ctlError(w, http.StatusBadRequest, err)
			return
		}
		s.RegisterApp(a)
		w.WriteHeader(http.StatusNoContent)
	})
	portal := func(h func(http.ResponseWriter, *http.Request, *Portal)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			p := s.Portal(r.PathValue("portal"))
			if p == nil {
				ctlError(w, http.StatusNotFound, errUnknownPortal)
				return
			}
			h(w, r, p)
		}
	}
	mux.HandleFunc("POST /_emulator/portals/{portal}/install", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		tok, err := p.Install()
		if err != nil {
			ctlError(w, http.StatusConflict, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"application_token": tok})
	}))
	mux.HandleFunc("POST /_emulator/portals/{portal}/complete-install", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		ctlDone(w, p.CompleteInstall())
	}))
	mux.HandleFunc("POST /_emulator/portals/{portal}/update", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		tok, err := p.Update()
		if err != nil {
			ctlError(w, http.StatusConflict, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"application_token": tok})
	}))
	mux.HandleFunc("POST /_emulator/portals/{portal}/uninstall", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		ctlDone(w, p.Uninstall(r.URL.Query().Get("clean") == "1"))
	}))
	mux.HandleFunc("POST /_emulator/portals/{portal}/tokens", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		var req struct {
			UserID int `json:"user_id"`
		}
		if err := decodeOptional(r, &req); err != nil {
			ctlError(w, http.StatusBadRequest, err)
			return
		}
		if req.UserID == 0 {
			req.UserID = adminID
		}
		t, err := p.IssueTokens(req.UserID)
		if err != nil {
			ctlError(w, http.StatusConflict, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"access_token": t.AccessToken, "refresh_token": t.RefreshToken, "expires_in": t.ExpiresIn, "expires": t.Expires.Unix(), "user_id": t.UserID})
	}))
	mux.HandleFunc("POST /_emulator/portals/{portal}/tokens/expire", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		p.ExpireTokens()
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("POST /_emulator/portals/{portal}/tokens/revoke", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		p.RevokeTokens()
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("POST /_emulator/portals/{portal}/records/{entity}", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		uid, fields, err := recordRequest(r)
		if err != nil {
			ctlError(w, http.StatusBadRequest, err)
			return
		}
		id, err := p.addRecordObj(r.PathValue("entity"), uid, fields)
		if err != nil {
			ctlError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"id": id})
	}))
	mux.HandleFunc("PATCH /_emulator/portals/{portal}/records/{entity}/{id}", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		uid, fields, err := recordRequest(r)
		if err != nil {
			ctlError(w, http.StatusBadRequest, err)
			return
		}
		ctlDone(w, p.updateRecordObj(r.PathValue("entity"), id, uid, fields))
	}))
	mux.HandleFunc("DELETE /_emulator/portals/{portal}/records/{entity}/{id}", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		uid, _ := strconv.Atoi(r.URL.Query().Get("user_id"))
		ctlDone(w, p.DeleteRecord(r.PathValue("entity"), id, uid))
	}))
	mux.HandleFunc("GET /_emulator/portals/{portal}/records/{entity}/{id}/productrows", portal(ctlProductRows))
	mux.HandleFunc("PUT /_emulator/portals/{portal}/records/{entity}/{id}/productrows", portal(ctlProductRows))
	mux.HandleFunc("POST /_emulator/portals/{portal}/records/{entity}/{id}/files/{field}", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		uid, _ := strconv.Atoi(r.URL.Query().Get("user_id"))
		data, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			ctlError(w, http.StatusBadRequest, err)
			return
		}
		fileID, err := p.AttachFile(r.PathValue("entity"), id, uid, r.PathValue("field"), r.URL.Query().Get("name"), data)
		if err != nil {
			ctlError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"id": fileID})
	}))
	mux.HandleFunc("GET /_emulator/portals/{portal}/faults", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		writeJSON(w, http.StatusOK, p.currentFaults())
	}))
	mux.HandleFunc("PUT /_emulator/portals/{portal}/faults", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		var f Faults
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			ctlError(w, http.StatusBadRequest, err)
			return
		}
		p.SetFaults(f)
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("GET /_emulator/portals/{portal}/plan", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		writeJSON(w, http.StatusOK, map[string]Plan{"plan": p.Plan()})
	}))
	mux.HandleFunc("PUT /_emulator/portals/{portal}/plan", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		var body struct {
			Plan Plan `json:"plan"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			ctlError(w, http.StatusBadRequest, err)
			return
		}
		if err := p.SetPlan(body.Plan); err != nil {
			ctlError(w, http.StatusBadRequest, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("GET /_emulator/portals/{portal}/stats", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		writeJSON(w, http.StatusOK, p.Stats())
	}))
	mux.HandleFunc("GET /_emulator/portals/{portal}/deliveries", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		writeJSON(w, http.StatusOK, p.Deliveries())
	}))
	kindControl(mux, portal)
	return mux
}

// recordRequest reads {"user_id": N, "fields": {...}} keeping field order.
func recordRequest(r *http.Request) (int, *obj, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return 0, nil, err
	}
	v, err := decodeJSON(body)
	if err != nil {
		return 0, nil, err
	}
	o := asObj(v)
	uid, _ := strconv.Atoi(str(valueCI(o, "user_id")))
	fields := asObj(valueCI(o, "fields"))
	if fields == nil {
		fields = newObj()
	}
	return uid, fields, nil
}

func decodeOptional(r *http.Request, v any) error {
	err := json.NewDecoder(r.Body).Decode(v)
	if err == io.EOF {
		return nil
	}
	return err
}

func ctlError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func ctlDone(w http.ResponseWriter, err error) {
	if err != nil {
		ctlError(w, http.StatusBadRequest, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
