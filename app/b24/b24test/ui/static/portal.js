// Small behaviours of the portal pages.
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    // The header's switchers (user, language, zone) apply at once.
    ['user-switch', 'lang-switch', 'zone-switch'].forEach(function (id) {
      var sel = document.getElementById(id);
      if (sel) {
        sel.addEventListener('change', function () { sel.form.submit(); });
      }
    });
  });
})();
