/* Progressive enhancement only: every page works without JavaScript. */
(function () {
  "use strict";

  // After a failed form, or when a result arrives, move focus where a screen-reader user needs to be.
  function focusFirst(root) {
    var target = root.querySelector("[data-focus-on-load]");
    if (target) {
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus();
    }
  }

  // The result page polls its status partial while the estimate is worked out, then swaps it in.
  function poll(box) {
    var url = box.getAttribute("data-poll-url");
    var delay = 700;
    function tick() {
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          // Gone, or the session ended (redirected to the login page): stop asking.
          if (response.redirected || (response.status >= 400 && response.status < 500)) return false;
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html === false) return;
          if (html) {
            var holder = document.createElement("div");
            holder.innerHTML = html.trim();
            var next = holder.querySelector("#result");
            if (next && !next.hasAttribute("data-poll-url")) {
              box.replaceWith(next);
              var heading = next.querySelector("#result-title");
              if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
              return;
            }
            if (next && next.getAttribute("data-status") !== box.getAttribute("data-status")) {
              box.replaceWith(next);  // waiting -> running: say so, and keep polling
              box = next;
            }
          }
          delay = Math.min(delay * 1.5, 5000);
          window.setTimeout(tick, delay);
        })
        .catch(function () {
          delay = Math.min(delay * 2, 10000);
          window.setTimeout(tick, delay);
        });
    }
    window.setTimeout(tick, delay);
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusFirst(document);
    var box = document.querySelector("[data-poll-url]");
    if (box && window.fetch) poll(box);
  });
})();
