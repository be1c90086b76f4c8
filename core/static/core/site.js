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

  // The result page asks for its status partial while the estimate is worked out, then swaps it in. With
  // "Prefer: wait" the server answers as soon as the result is stored; when it was too busy to wait (no
  // Preference-Applied header) the page asks again after a growing pause.
  function poll(box) {
    var url = box.getAttribute("data-poll-url");
    var delay = 700;
    var waited = false;
    function tick() {
      var headers = { "X-Requested-With": "fetch", "Prefer": "wait=15" };
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: headers })
        .then(function (response) {
          // Gone, or the session ended (redirected to the login page): stop asking.
          if (response.redirected || (response.status >= 400 && response.status < 500)) return false;
          waited = response.ok && response.headers.has("Preference-Applied");
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
          if (waited) { tick(); return; }
          delay = Math.min(delay * 1.5, 5000);
          window.setTimeout(tick, delay);
        })
        .catch(function () {
          delay = Math.min(delay * 2, 10000);
          window.setTimeout(tick, delay);
        });
    }
    tick();
  }

  // A measurement with a unit switch: show only the boxes of the chosen unit. Without JavaScript all show.
  function unitSwitch(group) {
    function update() {
      var checked = group.querySelector(".unit-switch input:checked");
      group.querySelectorAll("[data-unit]").forEach(function (boxes) {
        boxes.hidden = !!checked && boxes.getAttribute("data-unit") !== checked.value;
      });
    }
    group.querySelectorAll(".unit-switch input").forEach(function (radio) {
      radio.addEventListener("change", update);
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusFirst(document);
    document.querySelectorAll("[data-units]").forEach(unitSwitch);
    var box = document.querySelector("[data-poll-url]");
    if (box && window.fetch) poll(box);
    var print = document.querySelector("[data-print]");
    if (print) print.addEventListener("click", function () { window.print(); });
  });
})();
