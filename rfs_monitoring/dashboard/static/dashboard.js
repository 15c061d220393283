/* rfs-monitoring dashboard: keeps the page up to date in place.
 *
 * The server paints the page (Jinja2); charts.js draws the charts from the JSON data block
 * #chart-data; this script then polls <api>/dashboard/data (the same view-model as JSON, sent
 * with the session cookie) every data-refresh seconds and updates cards, tables and charts
 * without reloading. The window and operation pickers and the operation links change what
 * is shown the same way (the address bar follows, so a reload shows the same thing). Error
 * groups open their latest examples; with auth, firing alerts are acknowledged or silenced.
 * No library, no network access beyond the monitoring API: it runs offline and under
 * `default-src 'self'`. Only text is ever inserted (textContent), never markup.
 *
 * window.RfsDashboard exposes the chart functions of window.RfsCharts plus poll / choose.
 */
(function () {
  "use strict";

  var charts = window.RfsCharts;
  var drawCharts = charts.drawCharts;

  /* ------------------------------------------------------------------ page updates */

  function el(name, text, attrs) {
    var node = document.createElement(name);
    if (text !== undefined && text !== null) { node.textContent = text; }
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    return node;
  }

  function row(cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (cell) {
      if (cell instanceof Node) { var td = document.createElement("td"); td.appendChild(cell); tr.appendChild(td); return; }
      var spec = Array.isArray(cell) ? cell : [cell, ""];
      tr.appendChild(el("td", spec[0], spec[1] ? { "class": spec[1] } : {}));
    });
    return tr;
  }

  function fillTable(id, items, build) {
    var table = document.getElementById(id);
    var empty = document.getElementById(id + "-empty");
    if (!table) { return; }
    var body = table.tBodies[0];
    while (body.firstChild) { body.removeChild(body.firstChild); }
    items.forEach(function (item) { body.appendChild(build(item)); });
    table.hidden = items.length === 0;
    if (empty) { empty.hidden = items.length !== 0; }
  }

  function badge(status, title) {
    var span = el("span", status, { "class": "status status-" + status });
    if (title) { span.title = title; }
    return span;
  }

  function setText(id, text) {
    var node = document.getElementById(id);
    if (node) { node.textContent = text; }
  }

  function renderCards(cards) {
    var holder = document.getElementById("cards");
    cards.forEach(function (card) {
      var box = document.getElementById("card-" + card.card_id);
      if (!box) {
        box = el("div", null, { "class": "card", id: "card-" + card.card_id });
        box.appendChild(el("div", "", { "class": "label" }));
        box.appendChild(el("div", "", { "class": "value" }));
        box.appendChild(el("div", "", { "class": "note" }));
        holder.appendChild(box);
      }
      box.querySelector(".label").textContent = card.label;
      box.querySelector(".value").textContent = card.value;
      box.querySelector(".note").textContent = card.note;
    });
  }

  function alertCell(alert, canAct) {
    var cell = document.createElement("span");
    var add = function (node) { cell.appendChild(node); };
    if (alert.acknowledged) { add(el("span", "acknowledged " + alert.acknowledged, { "class": "handled" })); }
    else if (canAct) { add(el("button", "acknowledge", { type: "button", "class": "act", "data-act": "acknowledge" })); }
    if (alert.silenced_until) {
      add(el("span", "silenced until " + alert.silenced_until, { "class": "handled" }));
      if (canAct) { add(el("button", "unsilence", { type: "button", "class": "act", "data-act": "unsilence" })); }
    } else if (canAct) { add(el("button", "silence 1 h", { type: "button", "class": "act", "data-act": "silence" })); }
    return cell;
  }

  function renderTables(data) {
    fillTable("alerts-table", data.alerts, function (a) {
      var tr = row([a.label, a.severity, a.operation, a.condition, [a.value, "num"], a.firing_since, alertCell(a, data.can_act)]);
      tr.setAttribute("data-alert-id", a.alert_id);
      return tr;
    });
    setText("alerts-count", String(data.alerts.length));
    fillTable("history-table", data.history, function (h) { return row([h.time, h.name, h.change, h.message]); });
    fillTable("operations-table", data.operations, function (op) {
      var link = el("a", op.name, { "class": "op-link", href: op.link, "data-operation": op.name });
      return row([link, [op.requests, "num"], [op.availability, "num"], [op.client_errors, "num"], [op.success, "num"], [op.p50, "num"], [op.p90, "num"], [op.p99, "num"], [op.rps, "num"], [op.rps_now, "num"], badge(op.status, op.reasons)]);
    });
    setText("operations-count", String(data.operations.length));
    fillTable("errors-table", data.errors, function (e) {
      var message = el("span", e.message, { "class": "msg" });
      var button = el("button", "examples", { type: "button", "class": "examples-button" });
      var tr = row([message, e.code, [e.count, "num"], e.last_seen, e.operations, button]);
      tr.setAttribute("data-message", e.message);
      return tr;
    });
    Object.keys(state.examples).forEach(function (message) { showExamples(message, state.examples[message]); });
  }

  function renderOptions(select, options, labelOf) {
    var chosen = options.filter(function (o) { return o.selected; })[0];
    while (select.firstChild) { select.removeChild(select.firstChild); }
    options.forEach(function (o) { select.appendChild(el("option", labelOf(o), { value: o.value })); });
    if (chosen) { select.value = chosen.value; }
  }

  function render(data) {
    var status = document.getElementById("overall-status");
    status.textContent = data.status;
    status.className = "status status-" + data.status;
    setText("window-label", data.window_label);
    setText("generated", data.generated);
    document.getElementById("generated").setAttribute("datetime", data.generated_iso);
    renderCards(data.cards);
    var cap = document.getElementById("cap-warning");
    cap.textContent = data.cap_warning;
    cap.hidden = !data.cap_warning;
    Array.prototype.forEach.call(document.querySelectorAll(".chart-caption"), function (node) { node.textContent = data.chart_caption; });
    renderOptions(document.getElementById("pick-window"), data.range_options, function (o) { return o.label; });
    renderOptions(document.getElementById("pick-operation"), data.operation_options, function (o) { return o.value === "*" ? "all operations" : o.label; });
    renderTables(data);
    state.chart = data.chart;
    drawCharts(data.chart);
    document.body.setAttribute("data-updates", String(++state.updates));
  }

  /* ------------------------------------------------------------------ talking to the API */

  var state = { api: "", refresh: 0, timeRange: "1h", operation: "*", timer: null, sequence: 0, updates: 0, chart: null, examples: {} };

  function query(params) {
    return Object.keys(params).map(function (key) {
      return encodeURIComponent(key) + "=" + encodeURIComponent(params[key]);
    }).join("&");
  }

  function showState(text, bad) {
    var node = document.getElementById("live-state");
    node.textContent = text;
    node.className = bad ? "live live-bad" : "live";
  }

  function call(path, options) {
    var settings = options || {};
    settings.credentials = "same-origin";
    settings.cache = "no-store";
    settings.headers = Object.assign({ Accept: "application/json" }, settings.headers || {});
    return fetch(state.api + path, settings).then(function (response) {
      if (response.status === 401) {
        showState("signed out: reload the page to sign in again", true);
        throw new Error("signed out");
      }
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error(body && body.message ? body.message : "HTTP " + response.status); }
        return body;
      });
    });
  }

  function schedule() {
    clearTimeout(state.timer);
    if (state.refresh > 0) { state.timer = setTimeout(poll, state.refresh * 1000); }
  }

  function poll() {
    var sequence = ++state.sequence;
    clearTimeout(state.timer);
    return call("/dashboard/data?" + query({ time_range: state.timeRange, operation: state.operation }))
      .then(function (data) {
        if (sequence !== state.sequence) { return; }
        render(data);
        showState("");
      })
      .catch(function (error) {
        if (error.message !== "signed out") { showState("update failed: " + error.message + " (retrying)", true); }
      })
      .then(function () { if (sequence === state.sequence) { schedule(); } });
  }

  function choose(timeRange, operation) {
    state.timeRange = timeRange;
    state.operation = operation;
    state.examples = {};
    var params = { time_range: timeRange, operation: operation, refresh: state.refresh };
    history.replaceState(null, "", "?" + query(params));
    return poll();
  }

  function examplesRow(message) {
    var rows = document.querySelectorAll("#errors-table tbody tr[data-message]");
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].getAttribute("data-message") === message) { return rows[i]; }
    }
    return null;
  }

  function showExamples(message, examples) {
    var owner = examplesRow(message);
    if (!owner) { return; }
    var next = owner.nextElementSibling;
    if (next && next.classList.contains("examples")) { next.parentNode.removeChild(next); }
    var tr = el("tr", null, { "class": "examples" });
    var td = el("td", null, { colspan: "6" });
    if (!examples.length) {
      td.appendChild(el("p", "No example kept for this group in this window.", { "class": "none" }));
    } else {
      var table = el("table", null, { "class": "examples-table" });
      var head = el("tr");
      ["time", "operation", "code", "message", "correlation id", "trace id"].forEach(function (name) { head.appendChild(el("th", name)); });
      table.appendChild(el("thead")).appendChild(head);
      var body = table.appendChild(el("tbody"));
      examples.forEach(function (x) {
        body.appendChild(row([x.time, x.operation, x.error_code || "–", [x.message, "msg"], x.correlation_id || "–", x.trace_id || "–"]));
      });
      td.appendChild(table);
    }
    tr.appendChild(td);
    owner.parentNode.insertBefore(tr, owner.nextSibling);
  }

  function toggleExamples(message) {
    if (state.examples[message]) {
      delete state.examples[message];
      var next = examplesRow(message).nextElementSibling;
      if (next && next.classList.contains("examples")) { next.parentNode.removeChild(next); }
      return Promise.resolve();
    }
    var params = { message: message, time_range: state.timeRange, limit: 5 };
    if (state.operation !== "*") { params.operation = state.operation; }
    return call("/errors/examples?" + query(params)).then(function (examples) {
      state.examples[message] = examples;
      showExamples(message, examples);
    }).catch(function (error) { showState("examples: " + error.message, true); });
  }

  function act(alertId, action) {
    var path = "/alerts/" + encodeURIComponent(alertId) + "/" + (action === "unsilence" ? "silence" : action);
    var options = { method: action === "unsilence" ? "DELETE" : "POST" };
    if (action === "silence") {
      options.headers = { "Content-Type": "application/json" };
      options.body = JSON.stringify({ seconds: 3600 });
    }
    return call(path, options).then(poll).catch(function (error) { showState(action + ": " + error.message, true); });
  }

  function wire() {
    var body = document.body;
    state.api = body.getAttribute("data-api-base") || "";
    state.refresh = Number(body.getAttribute("data-refresh")) || 0;
    state.timeRange = body.getAttribute("data-time-range") || "1h";
    state.operation = body.getAttribute("data-operation") || "*";
    var controls = document.getElementById("controls");
    controls.addEventListener("change", function () {
      choose(document.getElementById("pick-window").value, document.getElementById("pick-operation").value);
    });
    controls.addEventListener("submit", function (event) {
      event.preventDefault();
      choose(document.getElementById("pick-window").value, document.getElementById("pick-operation").value);
    });
    document.addEventListener("click", function (event) {
      var target = event.target;
      if (!(target instanceof Element)) { return; }
      var link = target.closest("a.op-link");
      if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.button === 0) {
        event.preventDefault();
        document.getElementById("pick-operation").value = link.getAttribute("data-operation");
        choose(state.timeRange, link.getAttribute("data-operation"));
        return;
      }
      if (target.classList.contains("examples-button")) {
        toggleExamples(target.closest("tr").getAttribute("data-message"));
        return;
      }
      if (target.classList.contains("act")) {
        act(target.closest("tr").getAttribute("data-alert-id"), target.getAttribute("data-act"));
      }
    });
    var resizing = null;
    window.addEventListener("resize", function () {
      clearTimeout(resizing);
      resizing = setTimeout(function () { if (state.chart) { drawCharts(state.chart); } }, 150);
    });
    var block = document.getElementById("chart-data");
    state.chart = block ? JSON.parse(block.textContent) : null;
    if (state.chart) { drawCharts(state.chart); }
    schedule();
  }

  window.RfsDashboard = Object.assign({}, charts, { poll: poll, choose: choose, state: state });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
}());
