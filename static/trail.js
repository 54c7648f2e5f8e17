// Trail's page script. It keeps the session without cookies (Safari drops
// them in iframes): the token comes in the page, lives in localStorage per
// portal, and htmx sends it in the X-Session-Token header. When the server
// says the session is gone (401), a fresh Bitrix24 sign-in is taken from
// the parent window through the Bitrix24 JS SDK and the request is repeated.
(function () {
  "use strict";
  var HEADER = "X-Session-Token";
  var RENEWAL = "X-Renewal-Ticket";
  var body = document.body;
  var member = body.dataset.member || "";
  var key = "trail:session:" + member;
  var ticketKey = "trail:renewal:" + member;
  var b24 = null;

  function store(token) {
    if (!token) return;
    try { localStorage.setItem(key, token); } catch (e) { /* storage off: the page's token still works */ }
    body.dataset.session = token;
  }
  function token() {
    try { return localStorage.getItem(key) || body.dataset.session || ""; } catch (e) { return body.dataset.session || ""; }
  }
  if (body.dataset.session) store(body.dataset.session);

  // The renewal ticket comes with each session and is sent back to open
  // the next one.
  function storeTicket(t) {
    if (!t) return;
    try { localStorage.setItem(ticketKey, t); } catch (e) { /* the page's ticket still works */ }
    body.dataset.renewal = t;
  }
  function ticket() {
    try { return localStorage.getItem(ticketKey) || body.dataset.renewal || ""; } catch (e) { return body.dataset.renewal || ""; }
  }
  if (body.dataset.renewal) storeTicket(body.dataset.renewal);

  // The SDK talks to the parent window; outside Bitrix24 it rejects.
  function sdk() {
    if (b24) return Promise.resolve(b24);
    if (!window.B24Js || window.parent === window) return Promise.reject(new Error("not in Bitrix24"));
    return window.B24Js.initializeB24Frame().then(function (x) { b24 = x; return x; });
  }
  // The frame takes the height of its content. The SDK's fitWindow cannot
  // shrink a frame (it measures the document's scrollHeight, never less
  // than the frame itself), so the height is measured here and sent with
  // the same resizeWindow message fitWindow sends.
  var fitted = 0;
  function fit() {
    var h = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (h === fitted) return;
    sdk().then(function (x) {
      fitted = h;
      return x.parent.message.send("resizeWindow", { width: "100%", height: h, isSafely: true });
    }).catch(function () {});
  }

  // A new session from a fresh Bitrix24 token of the same user.
  var renewing = null;
  function renew() {
    if (renewing) return renewing;
    renewing = sdk().then(function (x) {
      return x.auth.refreshAuth().then(function () { return x.auth.getAuthData(); });
    }).then(function (auth) {
      if (!auth || !auth.access_token) throw new Error("no Bitrix24 auth");
      var form = new URLSearchParams();
      form.set("AUTH_ID", auth.access_token);
      form.set("member_id", member);
      form.set("context", body.dataset.context || "");
      form.set("ticket", ticket());
      return fetch("/bitrix/session", { method: "POST", body: form, credentials: "omit" });
    }).then(function (r) {
      if (!r.ok) throw new Error("session refused: " + r.status);
      store(r.headers.get(HEADER));
      storeTicket(r.headers.get(RENEWAL));
    }).finally(function () { renewing = null; });
    return renewing;
  }

  // The browser's time zone, which the server uses only when neither the
  // user nor the portal names one.
  var ZONE = "X-Time-Zone";
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (err) { zone = ""; }

  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers[HEADER] = token();
    if (zone) e.detail.headers[ZONE] = zone;
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var xhr = e.detail.xhr;
    if (xhr && xhr.getResponseHeader) store(xhr.getResponseHeader(HEADER));
  });
  document.addEventListener("htmx:responseError", function (e) {
    var d = e.detail;
    if (d.xhr.status !== 401 || d.requestConfig.renewed) return;
    renew().then(function () {
      htmx.ajax(d.requestConfig.verb.toUpperCase(), d.requestConfig.path, {
        source: d.elt, target: d.target, swap: d.requestConfig.swap || undefined, values: d.requestConfig.parameters
      });
    }).catch(function () { body.classList.add("signed-out"); });
  });
  document.addEventListener("htmx:afterSettle", fit);

  // Forms marked data-show-errors show the server's reason for a 400 (what
  // was wrong with the input) where their answer normally goes.
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.xhr.status === 400 && e.detail.elt.closest("[data-show-errors]")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  // Downloads need the header too, so they go through fetch.
  document.addEventListener("click", function (e) {
    var a = e.target.closest("a[data-download]");
    if (!a) return;
    e.preventDefault();
    var get = function () {
      var h = {}; h[HEADER] = token();
      if (zone) h[ZONE] = zone;
      return fetch(a.getAttribute("href"), { headers: h, credentials: "omit" });
    };
    var name = a.dataset.download;
    get().then(function (r) { return r.status === 401 ? renew().then(get) : r; }).then(function (r) {
      if (!r.ok) throw new Error("download failed: " + r.status);
      // A file's name comes with it (Content-Disposition).
      var m = /filename="?([^";]+)"?/.exec(r.headers.get("Content-Disposition") || "");
      if (!name && m) name = m[1];
      return r.blob();
    }).then(function (blob) {
      var url = URL.createObjectURL(blob);
      var tmp = document.createElement("a");
      tmp.href = url; tmp.download = name || "file";
      document.body.appendChild(tmp); tmp.click(); tmp.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    }).catch(function () { body.classList.add("download-failed"); });
  });

  // File links name their files: Trail keeps only ids, so each name and
  // size is asked for (HEAD) when the link is shown.
  function nameFiles() {
    var links = document.querySelectorAll("a.file:not([data-named])");
    Array.prototype.forEach.call(links, function (a) {
      a.dataset.named = "1";
      var h = {}; h[HEADER] = token();
      fetch(a.getAttribute("href"), { method: "HEAD", headers: h, credentials: "omit" }).then(function (r) {
        if (!r.ok) return;
        var m = /filename="?([^";]+)"?/.exec(r.headers.get("Content-Disposition") || "");
        if (!m) return;
        var size = Number(r.headers.get("Content-Length") || -1);
        a.dataset.download = m[1];
        a.textContent = size >= 0 ? m[1] + " (" + sizeText(size) + ")" : m[1];
      }).catch(function () {});
    });
  }
  function sizeText(n) {
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
    return (n / 1024 / 1024).toFixed(1) + " MB";
  }
  document.addEventListener("htmx:afterSettle", nameFiles);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", nameFiles); else nameFiles();

  // Cancel closes a revert's preview without writing anything.
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-close-revert]");
    if (b) b.closest("form").remove();
  });

  // Reset empties the filters and reloads the list.
  document.addEventListener("click", function (e) {
    var r = e.target.closest("[data-reset-filters]");
    if (!r) return;
    var form = r.form;
    setTimeout(function () { htmx.trigger(form, "submit"); }, 0);
  });

  // The installer page finishes the installation once setup has bound
  // Trail's events and tabs (data-install-ready is set by the server's
  // status fragment).
  document.addEventListener("htmx:afterSettle", function () {
    if (document.querySelector("[data-install-ready]") && !body.dataset.finished) {
      body.dataset.finished = "1";
      sdk().then(function (x) { return x.installFinish(); }).catch(function () {});
    }
  });

  // A button that refreshes the installation's grant with the admin's
  // current Bitrix24 tokens (after Trail lost access).
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-reauthorize]");
    if (!b) return;
    e.preventDefault();
    sdk().then(function (x) { return x.auth.refreshAuth().then(function () { return x.auth.getAuthData(); }); })
      .then(function (auth) {
        var form = new URLSearchParams();
        form.set("REFRESH_ID", auth.refresh_token);
        var h = {}; h[HEADER] = token();
        return fetch(b.dataset.reauthorize, { method: "POST", body: form, headers: h, credentials: "omit" });
      }).then(function (r) {
        store(r.headers.get(HEADER));
        // The answer replaces the banner: reloading would post the frame
        // form again with the tokens Bitrix24 first gave the page.
        return r.text().then(function (html) {
          var banner = b.closest(".banner");
          if (!r.ok || !banner) { b.classList.add("failed"); return; }
          banner.outerHTML = html;
          var done = document.getElementById("reauth");
          if (done && window.htmx) htmx.process(done); // it reloads the health section
        });
      }).catch(function () { b.classList.add("failed"); });
  });

  if (document.readyState === "complete") fit(); else window.addEventListener("load", fit);
})();
