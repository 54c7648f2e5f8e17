// The parent side of the Bitrix24 frame protocol. Every .app-frame element
// holds an iframe named "{DOMAIN}|{PROTOCOL}|{APP_SID}", a form that POSTs
// the placement fields into it, and data-frame: {sid, origin, init}.
//
// Frame → parent: "command:params:callbackId:appSid" (params may contain
// colons or be left out) or {method, params, callback, appSid} for commands
// whose names contain a colon. Parent → frame: "callbackId:JSON", posted to
// the app's origin.
(function () {
  'use strict';

  var frames = {}; // by APP_SID

  function setup(box) {
    var data = JSON.parse(box.getAttribute('data-frame'));
    var f = {
      sid: data.sid,
      origin: data.origin,
      init: data.init,
      iframe: box.querySelector('iframe'),
      log: box.querySelector('.frame-log ol')
    };
    frames[f.sid] = f;
    box.querySelector('form.frame-post').submit();
  }

  // parse turns a message into {command, params, callback, sid}.
  function parse(data) {
    if (data && typeof data === 'object' && typeof data.method === 'string') {
      return { command: data.method, params: decode(data.params), callback: String(data.callback || ''), sid: String(data.appSid || '') };
    }
    if (typeof data !== 'string') {
      return null;
    }
    var parts = data.split(':');
    if (parts.length < 3) {
      return null;
    }
    return {
      command: parts[0],
      params: decode(parts.slice(1, parts.length - 2).join(':')),
      callback: parts[parts.length - 2],
      sid: parts[parts.length - 1]
    };
  }

  function decode(raw) {
    if (typeof raw !== 'string') {
      return raw || {};
    }
    if (raw === '') {
      return {};
    }
    try {
      return JSON.parse(raw);
    } catch (e) {
      return raw;
    }
  }

  function reply(f, callback, payload) {
    if (!callback) {
      return;
    }
    var body = payload === undefined ? '' : JSON.stringify(payload);
    f.iframe.contentWindow.postMessage(callback + ':' + body, f.origin);
  }

  function post(path, body) {
    return fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) {
          throw new Error(j.error || r.statusText);
        }
        return j;
      });
    });
  }

  function note(f, text) {
    if (f.log) {
      var li = document.createElement('li');
      li.textContent = text;
      f.log.appendChild(li);
    }
  }

  function px(v) {
    var n = parseInt(v, 10);
    return isNaN(n) ? null : n;
  }

  var handlers = {
    getInitData: function (f, m) {
      reply(f, m.callback, f.init);
    },
    refreshAuth: function (f, m) {
      post('/_portal/refresh-auth', { app_sid: f.sid }).then(function (t) {
        f.init.AUTH_ID = t.AUTH_ID;
        f.init.REFRESH_ID = t.REFRESH_ID;
        f.init.AUTH_EXPIRES = t.AUTH_EXPIRES;
        reply(f, m.callback, t);
      }, function (e) {
        note(f, 'refreshAuth failed: ' + e.message);
      });
    },
    resizeWindow: function (f, m) {
      var h = px(m.params && m.params.height);
      if (h !== null && h > 0) {
        f.iframe.style.height = h + 'px';
      }
      reply(f, m.callback, {});
    },
    setTitle: function (f, m) {
      if (m.params && m.params.title) {
        document.title = String(m.params.title);
      }
      reply(f, m.callback, {});
    },
    setScroll: function (f, m) {
      window.scrollTo(0, px(m.params && m.params.scroll) || 0);
      reply(f, m.callback, {});
    },
    reloadWindow: function (f, m) {
      reply(f, m.callback, {});
      window.location.reload();
    },
    openPath: function (f, m) {
      reply(f, m.callback, {});
      var path = m.params && m.params.path;
      if (typeof path === 'string' && path.charAt(0) === '/' && path.charAt(1) !== '/') {
        window.location.href = path;
      }
    },
    setInstallFinish: function (f, m) {
      if (!f.init.INSTALL) {
        handlers.setInstall(f, m);
        return;
      }
      post('/_portal/install-finish', { app_sid: f.sid }).then(function (r) {
        reply(f, m.callback, {});
        window.location.href = r.url;
      }, function (e) {
        note(f, 'setInstallFinish failed: ' + e.message);
      });
    },
    setInstall: function (f, m) {
      f.init.FIRST_RUN = false;
      post('/_portal/option', { app_sid: f.sid, kind: 'install' }).then(function () {
        reply(f, m.callback, {});
      }, function (e) {
        note(f, 'setInstall failed: ' + e.message);
      });
    },
    setAppOption: function (f, m) {
      option(f, m, 'app', 'APP_OPTIONS');
    },
    setUserOption: function (f, m) {
      option(f, m, 'user', 'USER_OPTIONS');
    },
    getInterface: function (f, m) {
      reply(f, m.callback, { command: [], event: [] });
    }
  };

  // b24jssdk's and BX24's fitWindow send resizeWindow; answer the bare name too.
  handlers.fitWindow = handlers.resizeWindow;

  function option(f, m, kind, key) {
    var p = m.params || {};
    f.init[key] = f.init[key] || {};
    f.init[key][p.name] = p.value;
    post('/_portal/option', { app_sid: f.sid, kind: kind, name: String(p.name), value: p.value === undefined ? null : p.value }).then(function () {
      reply(f, m.callback, {});
    }, function (e) {
      note(f, kind + ' option failed: ' + e.message);
    });
  }

  window.addEventListener('message', function (event) {
    var m = parse(event.data);
    if (!m) {
      return;
    }
    var f = frames[m.sid];
    if (!f || event.origin !== f.origin || event.source !== f.iframe.contentWindow) {
      return;
    }
    note(f, m.command);
    var h = Object.prototype.hasOwnProperty.call(handlers, m.command) ? handlers[m.command] : null;
    if (h) {
      h(f, m);
    } else {
      // Other UI commands (closeApplication, selectUser, im*, placement
      // commands…) have nothing to show here; answer so nobody waits.
      reply(f, m.callback, {});
    }
  });

  function start() {
    var boxes = document.querySelectorAll('.app-frame[data-frame]');
    for (var i = 0; i < boxes.length; i++) {
      setup(boxes[i]);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
