// Small behaviours of the portal pages.
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    // The user switcher logs the chosen user in at once.
    var sel = document.getElementById('user-switch');
    if (sel) {
      sel.addEventListener('change', function () { sel.form.submit(); });
    }
  });
})();
