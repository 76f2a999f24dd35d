// The copilot conversation: messages and task cards over ws/copilot/<id>/ (see
// tasks/consumers/copilot.py for the protocol). Messages are rendered here from JSON, the
// first ones from the page (#copilot-initial), then live; a reconnect catches up by seq.
(function () {
  "use strict";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function cardNode(card) {
    var a = el("a", "copilot-card status-" + card.status);
    a.href = card.url;
    a.setAttribute("data-card", String(card.task_id));
    a.appendChild(el("span", "card-title", card.title));
    var meta = el("span", "card-meta");
    meta.appendChild(el("span", "badge badge-" + card.status, card.status_label));
    if (card.todos_total) {
      meta.appendChild(el("span", "card-todos", card.todos_done + "/" + card.todos_total + " to-dos"));
    }
    a.appendChild(meta);
    var bar = el("span", "card-bar");
    var fill = el("span", "card-bar-fill");
    fill.style.width = (card.progress || 0) + "%";
    bar.appendChild(fill);
    a.appendChild(bar);
    if (card.step) a.appendChild(el("span", "card-step muted small", card.step));
    return a;
  }

  var STATUS_NOTES = {
    queued: "waiting for an answer…",
    answering: "answering…",
    interrupted: "interrupted",
    failed: "failed",
  };

  function start(form) {
    var list = document.querySelector("[data-copilot-messages]");
    var state = document.querySelector("[data-copilot-state]");
    var errorBox = form.querySelector("[data-copilot-error]");
    var textarea = form.querySelector("textarea");
    var contextNode = document.querySelector("[data-copilot-context]");
    var pageContext = contextNode ? JSON.parse(contextNode.getAttribute("data-copilot-context")) : null;
    var lastSeq = 0;
    var socket = null;
    var retryDelay = 500;

    function showError(text) {
      errorBox.textContent = text;
      errorBox.hidden = !text;
    }

    function upsert(message) {
      var id = "copilot-msg-" + message.id;
      var item = document.getElementById(id);
      var fresh = el("li", "copilot-msg role-" + message.role + " status-" + message.status);
      fresh.id = id;
      fresh.setAttribute("data-status", message.status);
      fresh.appendChild(el("span", "msg-author", message.role_label));
      fresh.appendChild(el("div", "msg-body", message.body));
      var note = STATUS_NOTES[message.status];
      if (note && !(message.role === "user" && message.status === "failed")) {
        fresh.appendChild(el("span", "msg-status muted small", note));
      }
      if (message.retry) {
        var button = el("button", "btn btn-small", "Retry");
        button.type = "button";
        button.setAttribute("data-retry", String(message.id));
        fresh.appendChild(button);
      }
      if (message.cards && message.cards.length) {
        var cards = el("div", "copilot-cards");
        message.cards.forEach(function (card) { cards.appendChild(cardNode(card)); });
        fresh.appendChild(cards);
      }
      if (item) {
        item.replaceWith(fresh);
      } else {
        list.appendChild(fresh);
        fresh.scrollIntoView({ block: "nearest" });
      }
    }

    function applyCard(card) {
      document.querySelectorAll('[data-card="' + card.task_id + '"]').forEach(function (node) {
        node.replaceWith(cardNode(card));
      });
    }

    function applyDelta(frame) {
      var item = document.getElementById("copilot-msg-" + frame.message_id);
      if (!item || item.getAttribute("data-status") !== "answering") return;
      item.querySelector(".msg-body").textContent += frame.delta;
    }

    function onFrame(event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "message") {
        upsert(frame.message);
        lastSeq = Math.max(lastSeq, frame.seq);
      } else if (frame.type === "delta") {
        applyDelta(frame);
      } else if (frame.type === "card") {
        applyCard(frame.card);
      } else if (frame.type === "synced") {
        lastSeq = Math.max(lastSeq, frame.seq);
      } else if (frame.type === "accepted") {
        textarea.value = "";
        showError("");
      } else if (frame.type === "error") {
        showError(frame.message);
      } else if (frame.type === "resync") {
        send({ action: "subscribe", after_seq: lastSeq });
      }
    }

    function send(frame) {
      if (!socket || socket.readyState !== WebSocket.OPEN) {
        showError("Not connected; reconnecting…");
        return false;
      }
      socket.send(JSON.stringify(frame));
      return true;
    }

    function connect() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + location.host + form.getAttribute("data-ws") + "?after_seq=" + lastSeq);
      socket.onopen = function () {
        retryDelay = 500;
        if (state) state.textContent = "Live";
        form.setAttribute("data-connected", "true");
      };
      socket.onmessage = onFrame;
      socket.onclose = function (event) {
        form.removeAttribute("data-connected");
        if (event.code === 4403 || event.code === 4404) {
          if (state) state.textContent = "Closed";
          return;
        }
        if (state) state.textContent = "Reconnecting…";
        setTimeout(connect, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 10000);
      };
    }

    var initial = document.getElementById("copilot-initial");
    var messages = initial ? JSON.parse(initial.textContent) : [];
    messages.forEach(function (message) {
      upsert(message);
      lastSeq = Math.max(lastSeq, message.seq);
    });
    lastSeq = Math.max(lastSeq, parseInt(form.getAttribute("data-after-seq") || "0", 10));

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = textarea.value.trim();
      if (!text) {
        showError("Write a message.");
        return;
      }
      var frame = { action: "send", text: text, interrupt: form.elements.interrupt.checked };
      if (pageContext) frame.context = pageContext;
      send(frame);
    });
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-retry]");
      if (button) send({ action: "retry", message_id: parseInt(button.getAttribute("data-retry"), 10) });
    });
    connect();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-copilot-form]");
    if (form) start(form);
  });
})();
