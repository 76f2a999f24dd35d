// AgentDesk live updates: the server renders HTML fragments (the pages' own partials, with
// stable ids) and pushes them over websockets; this swaps them in by id. Protocol:
// tasks/live/protocol.py. Any element with data-live-task / data-live-ticket /
// data-live-dashboard gets a socket, however it arrived (page load, htmx swap, a push).
//
// * A task socket remembers the last seq it applied; after a drop it reconnects (exponential
//   backoff with jitter, at most ~5 s) and says that seq: the server sends what was missed.
// * Every fragment that shows state carries the seq (data-seq) or read time (data-version) it
//   shows, and never replaces a newer one; timeline lines are added once (by id).
// * Fragments are applied once per animation frame; several for the same element in one
//   frame collapse into the last, so many running tasks stay smooth.
// * The dashboard re-reads its board over HTTP each time its socket (re)subscribes.
(function () {
  "use strict";

  var BASE_DELAY = 250;
  var MAX_DELAY = 5000;
  var PING_EVERY = 25000;
  var SILENCE_LIMIT = 35000;
  var CLOSE_FORBIDDEN = 4403;
  var CLOSE_NOT_FOUND = 4404;

  var conns = {};
  var holdUntil = 0; // dropForTest: no reconnect before this time

  function wsUrl(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  // --- applying fragments ----------------------------------------------------------------------

  var queue = [];
  var flushScheduled = false;

  function enqueue(item) {
    queue.push(item);
    if (flushScheduled) return;
    flushScheduled = true;
    var ran = false;
    var run = function () { if (!ran) { ran = true; flush(); } };
    // requestAnimationFrame pauses in background tabs: a timer makes sure updates still land.
    if (window.requestAnimationFrame) window.requestAnimationFrame(run);
    setTimeout(run, 120);
  }

  function flush() {
    flushScheduled = false;
    var items = queue;
    queue = [];
    var byId = new Map();
    var applyCollected = function () {
      byId.forEach(swapIn);
      byId.clear();
    };
    items.forEach(function (item) {
      if (item.html) {
        parse(item.html).forEach(function (el) { if (el.id) byId.set(el.id, el); });
      } else if (item.run) {
        applyCollected();
        item.run();
      }
    });
    applyCollected();
    Object.keys(conns).forEach(function (key) { conns[key].afterFlush(); });
    showStates();
    scan();
  }

  function parse(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return Array.prototype.slice.call(template.content.children);
  }

  function versionOf(el) {
    var raw = el.getAttribute("data-seq");
    if (raw === null) raw = el.getAttribute("data-version");
    return raw === null || raw === "" ? null : Number(raw);
  }

  function isOlder(incoming, current) {
    var a = versionOf(incoming);
    var b = versionOf(current);
    return a !== null && b !== null && a < b;
  }

  // Keeps what the person was doing in the part being replaced: an open <details>, a draft.
  function carryOver(current, next) {
    var was = current.querySelector("details");
    var now = next.querySelector("details");
    if (was && was.open && now) now.open = true;
    var focused = document.activeElement;
    current.querySelectorAll("textarea[id], input[id]:not([type=hidden])").forEach(function (field) {
      var twin = next.querySelector("#" + CSS.escape(field.id));
      if (twin && field.value && !twin.value) twin.value = field.value;
      if (twin && field === focused) setTimeout(function () { twin.focus(); }, 0);
    });
  }

  function insert(box, el, position) {
    var nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    if (position === "prepend") box.insertBefore(el, box.firstChild);
    else box.appendChild(el);
    if (position !== "prepend" && nearBottom) box.scrollTop = box.scrollHeight;
    var limit = Number(box.getAttribute("data-live-limit") || 0);
    if (limit) {
      var rows = box.querySelectorAll(":scope > [id]");
      for (var i = limit; i < rows.length; i++) rows[i].remove();
    }
  }

  function swapIn(el) {
    var into = el.getAttribute("data-live-into");
    var position = el.getAttribute("data-live-position") || "append";
    ["hx-swap-oob", "data-live-into", "data-live-position"].forEach(function (name) {
      el.removeAttribute(name);
    });
    var current = document.getElementById(el.id);
    if (current && isOlder(el, current)) return;
    var box = into ? document.getElementById(into) : null;
    if (current) {
      carryOver(current, el);
      if (box && current.parentElement !== box) {
        current.remove();
        insert(box, el, position); // e.g. a finished task moves down the dashboard
      } else {
        current.replaceWith(el);
      }
    } else if (box) {
      insert(box, el, position);
    } else {
      return;
    }
    if (window.htmx) window.htmx.process(el);
  }

  // --- connections -----------------------------------------------------------------------------

  function Conn(kind, key, path) {
    this.kind = kind;
    this.key = key;
    this.path = path;
    this.ws = null;
    this.attempts = 0;
    this.stopped = false;
    this.live = false;
    this.everOpened = false;
    this.opened = 0;
    this.lastSeq = 0;
    this.lastHeard = 0;
    this.timer = null;
    this.buffer = null; // dashboard: frames held while the board is re-read
  }

  Conn.prototype.open = function () {
    var self = this;
    clearTimeout(this.timer);
    if (this.stopped) return;
    var wait = holdUntil - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(function () { self.open(); }, wait);
      return;
    }
    var ws;
    try {
      ws = new WebSocket(wsUrl(this.path));
    } catch (error) {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = function () {
      self.opened += 1;
      self.lastHeard = Date.now();
      self.subscribe();
      self.everOpened = true;
    };
    ws.onmessage = function (event) {
      self.lastHeard = Date.now();
      var frame;
      try { frame = JSON.parse(event.data); } catch (error) { return; }
      self.receive(frame);
    };
    ws.onclose = function (event) {
      if (self.ws !== ws) return;
      self.ws = null;
      self.live = false;
      showStates();
      if (self.stopped) return;
      if (event.code === CLOSE_FORBIDDEN || event.code === CLOSE_NOT_FOUND) {
        self.stopped = true; // signed out, or the task is gone: reconnecting will not help
        return;
      }
      self.retry();
    };
  };

  Conn.prototype.retry = function () {
    var self = this;
    var delay = Math.min(MAX_DELAY, BASE_DELAY * Math.pow(2, this.attempts));
    this.attempts += 1;
    delay = delay / 2 + Math.random() * delay / 2; // jitter: a restarted server is not stampeded
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.open(); }, delay);
  };

  Conn.prototype.send = function (frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  };

  Conn.prototype.close = function () {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  };

  Conn.prototype.subscribe = function () {
    if (this.kind === "task") {
      this.send({ action: "subscribe", after_seq: this.lastSeq, format: "html" });
    } else if (this.kind === "ticket") {
      var panel = document.querySelector('[data-live-ticket="' + this.key + '"]');
      var latest = panel ? Number(panel.getAttribute("data-latest-task")) || null : null;
      this.send({ action: "subscribe", format: "html", latest_task: latest, resync: this.everOpened });
    } else {
      this.buffer = [];
      this.send({ action: "subscribe", format: "html" });
    }
  };

  // The parts of an event or batch frame, in order: HTML to swap in, text to stream.
  function partsOf(frame) {
    if (frame.type === "batch") return frame.parts || [];
    if (frame.seq === null || frame.seq === undefined) return [frame];
    return frame.html ? [{ html: frame.html }] : [];
  }

  Conn.prototype.apply = function (frame) {
    var key = this.key;
    partsOf(frame).forEach(function (part) {
      if (part.html) enqueue({ html: part.html });
      else if (part.data) enqueue({ run: function () { streamDelta(key, part); } });
    });
  };

  Conn.prototype.receive = function (frame) {
    if (frame.type === "event" || frame.type === "batch") {
      if (this.kind === "dashboard" && this.buffer) { this.buffer.push(frame); return; }
      if (this.kind === "task" && frame.seq !== null && frame.seq !== undefined) {
        if (frame.seq <= this.lastSeq) return; // already shown
        this.lastSeq = frame.seq;
      }
      this.apply(frame);
    } else if (frame.type === "synced") {
      if (frame.seq < this.lastSeq) refetchPanel(this.key); // the server's history restarted
      this.lastSeq = frame.seq;
      this.connected();
    } else if (frame.type === "subscribed") {
      if (frame.html) enqueue({ html: frame.html });
      if (this.kind === "dashboard") this.refetchBoard();
      else this.connected();
    } else if (frame.type === "resync") {
      if (this.kind === "dashboard" && !this.buffer) { this.buffer = []; this.refetchBoard(); }
      else if (this.kind === "ticket") { this.everOpened = true; this.subscribe(); }
    } else if (frame.type === "error") {
      if (window.console) console.warn("AgentDesk live:", frame.code, frame.message);
    }
  };

  Conn.prototype.connected = function () {
    this.attempts = 0;
    this.live = true;
    showStates();
  };

  Conn.prototype.refetchBoard = function () {
    var self = this;
    var board = document.getElementById("dashboard-board");
    var url = board ? board.getAttribute("data-live-dashboard") : null;
    if (!url) { this.buffer = null; return; }
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var held = self.buffer || [];
        self.buffer = null;
        enqueue({ html: html });
        held.forEach(function (frame) { self.apply(frame); });
        self.connected();
      })
      .catch(function () {
        if (self.ws) self.ws.close(); // try again through a reconnect
      });
  };

  Conn.prototype.afterFlush = function () {
    if (this.kind !== "task") return;
    var panel = document.querySelector('[data-live-task="' + this.key + '"]');
    if (panel) panel.setAttribute("data-live-seq", String(this.lastSeq));
  };

  Conn.prototype.heartbeat = function () {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastHeard > SILENCE_LIMIT) {
      this.ws.close(); // half-open connection: reconnect
      return;
    }
    this.send({ action: "ping" });
  };

  function streamDelta(taskId, frame) {
    var box = document.getElementById("task-" + taskId + "-stream");
    if (!box || !frame.data || typeof frame.data.delta !== "string") return;
    var kind = frame.event === "reasoning.delta" ? "reasoning" : "message";
    if (box.getAttribute("data-kind") !== kind) {
      box.textContent = "";
      box.setAttribute("data-kind", kind);
      box.classList.toggle("is-reasoning", kind === "reasoning");
    }
    box.hidden = false;
    box.appendChild(document.createTextNode(frame.data.delta));
  }

  function refetchPanel(taskId) {
    var panel = document.querySelector('[data-live-task="' + taskId + '"]');
    var url = panel && panel.getAttribute("data-live-panel-url");
    if (url && window.htmx) window.htmx.ajax("GET", url, { target: panel, swap: "outerHTML" });
  }

  // --- which sockets the page needs --------------------------------------------------------------

  // Panels already followed; a panel element not in here just arrived (page, htmx, a push).
  var seenPanels = new WeakSet();

  function ensure(kind, key, path, seq) {
    var id = kind + ":" + key;
    var conn = conns[id];
    if (!conn) {
      conn = conns[id] = new Conn(kind, key, path);
      if (seq !== undefined) conn.lastSeq = seq;
      conn.open();
    } else if (kind === "task" && seq !== undefined && seq !== conn.lastSeq) {
      // The panel was replaced by an HTTP answer (Cancel, Retry...): go on from what it shows.
      conn.lastSeq = seq;
      conn.subscribe();
    }
    return id;
  }

  function scan() {
    var wanted = {};
    document.querySelectorAll("[data-live-task]").forEach(function (el) {
      var id = el.getAttribute("data-live-task");
      var path = "/ws/tasks/" + id + "/?format=html";
      if (seenPanels.has(el)) {
        wanted[ensure("task", id, path)] = true;
        return;
      }
      seenPanels.add(el);
      wanted[ensure("task", id, path, Number(el.getAttribute("data-live-seq")) || 0)] = true;
    });
    document.querySelectorAll("[data-live-ticket]").forEach(function (el) {
      var number = el.getAttribute("data-live-ticket");
      wanted[ensure("ticket", number, "/ws/tickets/" + number + "/?format=html")] = true;
    });
    if (document.querySelector("[data-live-dashboard]")) {
      wanted[ensure("dashboard", "all", "/ws/dashboard/?format=html")] = true;
    }
    Object.keys(conns).forEach(function (id) {
      if (!wanted[id]) { conns[id].close(); delete conns[id]; }
    });
    showStates();
  }

  function showStates() {
    var all = Object.keys(conns).map(function (id) { return conns[id]; });
    var refused = all.some(function (conn) { return conn.stopped; });
    var down = all.filter(function (conn) { return !conn.live && !conn.stopped; });
    var first = down.every(function (conn) { return !conn.everOpened; });
    var text = all.length === 0 ? "" : refused ? "not live: reload the page" :
      down.length ? (first ? "connecting…" : "reconnecting…") : "live";
    document.querySelectorAll("[data-live-state]").forEach(function (el) {
      el.textContent = text;
      el.classList.toggle("is-live", text === "live");
    });
  }

  // Dashboard: elapsed time of running tasks, every second.
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds < 60) return seconds + "s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + "m " + pad(seconds % 60) + "s";
    return Math.floor(minutes / 60) + "h " + pad(minutes % 60) + "m";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-elapsed-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-elapsed-since"));
      if (!isNaN(since)) el.textContent = duration((now - since) / 1000);
    });
  }

  function reconnectNow() {
    Object.keys(conns).forEach(function (id) {
      var conn = conns[id];
      if (!conn.ws && !conn.stopped) { conn.attempts = 0; conn.open(); }
    });
  }

  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:load", scan);
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) reconnectNow();
  });
  setInterval(tick, 1000);
  setInterval(function () {
    Object.keys(conns).forEach(function (id) { conns[id].heartbeat(); });
  }, PING_EVERY);
  window.addEventListener("pagehide", function () {
    Object.keys(conns).forEach(function (id) { conns[id].close(); });
  });

  // For tests and the curious: the sockets, and a way to cut them as a network drop would.
  window.agentdeskLive = {
    connections: function () {
      return Object.keys(conns).map(function (id) {
        var conn = conns[id];
        return { id: id, live: conn.live, lastSeq: conn.lastSeq, opened: conn.opened, stopped: !!conn.stopped };
      });
    },
    dropForTest: function (holdMs) {
      holdUntil = Date.now() + (holdMs || 0);
      Object.keys(conns).forEach(function (id) {
        var conn = conns[id];
        if (conn.ws) conn.ws.close(4000, "dropped by a test");
      });
    },
  };
})();
