// AgentDesk portal: the few behaviours plain HTML and htmx do not cover.
// Delegated listeners, so content swapped in by htmx works without re-binding.
(function () {
  "use strict";

  function rowBoxes(scope) {
    return Array.from(scope.querySelectorAll('input[name="numbers"][form="bulk-form"]'));
  }

  // Backlog: "n selected" next to the bulk button, which stays disabled until something is picked.
  function syncSelection() {
    var results = document.getElementById("backlog-results");
    if (!results) return;
    var boxes = rowBoxes(results);
    var picked = boxes.filter(function (box) { return box.checked; }).length;
    var all = results.querySelector("[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && picked === boxes.length;
      all.indeterminate = picked > 0 && picked < boxes.length;
    }
    var label = results.querySelector("[data-selected-count]");
    if (label) label.textContent = picked ? picked + " selected" : "";
    var submit = results.querySelector("[data-bulk-submit]");
    if (submit) submit.disabled = picked === 0;
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-select-all]")) {
      var results = document.getElementById("backlog-results");
      rowBoxes(results).forEach(function (box) { box.checked = target.checked; });
    }
    if (target.matches && (target.matches("[data-select-all]") || target.matches('input[name="numbers"]'))) {
      syncSelection();
    }
  });
  document.addEventListener("DOMContentLoaded", syncSelection);
  document.addEventListener("htmx:afterSettle", syncSelection);

  // One toast for confirmations (filled out of band by htmx answers) and request errors.
  var toastTimer = null;
  function hideToastLater() {
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () {
      var toast = document.getElementById("toast");
      if (toast) toast.hidden = true;
    }, 5000);
  }
  function showError(message) {
    var toast = document.getElementById("toast");
    if (!toast) return;
    toast.className = "toast toast-error";
    toast.setAttribute("role", "alert");
    toast.textContent = message;
    toast.hidden = false;
    hideToastLater();
  }
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "toast") hideToastLater();
  });
  // Failed htmx requests (other than a 400 carrying its form errors) would otherwise do nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    showError(status === 403 ? "You are not allowed to do that." :
      status === 404 ? "That item no longer exists." :
      "Something went wrong (" + status + "). Please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    showError("Could not reach the server. Check your connection and try again.");
  });

  // "/" focuses the backlog search, as in most trackers.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (document.activeElement && document.activeElement.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    var search = document.getElementById("filter-q");
    if (search) { event.preventDefault(); search.focus(); }
  });
})();

// "Ask copilot": the copilot panel in a drawer beside the page, opened with the page's context.
document.addEventListener("click", function (event) {
  var open = event.target.closest("[data-copilot-open]");
  var drawer = document.querySelector("[data-copilot-drawer]");
  if (!drawer) return;
  if (open) {
    var frame = drawer.querySelector("iframe");
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = "Copilot";
      frame.src = open.getAttribute("data-copilot-open");
      drawer.appendChild(frame);
    }
    drawer.hidden = false;
  } else if (event.target.closest("[data-copilot-close]")) {
    drawer.hidden = true;
  }
});

// The Copilot link's badge, live on every page: task updates not seen yet (ws/me/).
document.addEventListener("DOMContentLoaded", function () {
  var badge = document.querySelector("[data-copilot-unseen]");
  if (!badge || !window.WebSocket) return;
  var delay = 1000;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/me/");
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type !== "unseen") return;
      delay = 1000;
      badge.textContent = String(frame.count);
      badge.hidden = !frame.count;
    };
    socket.onclose = function (event) {
      if (event.code === 4403) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
});
