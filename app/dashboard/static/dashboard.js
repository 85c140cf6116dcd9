// popreg workshop dashboard: live stream, persona picker and admin actions. No build step.
"use strict";

(function () {
  const TOKEN_KEY = "popreg-admin-token";
  const HISTORY = 60;
  const FEED_ROWS = 100;

  function text(tag, value, className) {
    const element = document.createElement(tag);
    element.textContent = value === null || value === undefined ? "" : String(value);
    if (className) element.className = className;
    return element;
  }

  function fillCounts(id, counts) {
    const body = document.getElementById(id);
    if (!body) return;
    body.replaceChildren();
    const entries = Object.entries(counts || {});
    if (entries.length === 0) {
      const row = document.createElement("tr");
      row.appendChild(text("td", "–", "muted"));
      body.appendChild(row);
      return;
    }
    for (const [name, count] of entries) {
      const row = document.createElement("tr");
      row.appendChild(text("td", name));
      row.appendChild(text("td", count, "num"));
      body.appendChild(row);
    }
  }

  function ms(value) {
    return value === null || value === undefined ? "–" : value.toFixed(1) + " ms";
  }

  function drawChart(history) {
    const line = document.getElementById("chart-line");
    if (!line) return;
    const top = Math.max(1, ...history);
    const step = 600 / (HISTORY - 1);
    const offset = HISTORY - history.length;
    line.setAttribute(
      "points",
      history
        .map((v, i) => ((offset + i) * step).toFixed(1) + "," + (118 - (v / top) * 110).toFixed(1))
        .join(" ")
    );
  }

  function addFeed(records) {
    const body = document.getElementById("feed");
    if (!body) return;
    for (const r of records) {
      const row = document.createElement("tr");
      row.className = r.injected ? "injected" : r.outcome;
      row.appendChild(text("td", r.seq));
      row.appendChild(text("td", r.when));
      row.appendChild(text("td", r.agency || "–"));
      row.appendChild(text("td", r.purpose || "–"));
      row.appendChild(text("td", r.injected ? r.operation + " (injected)" : r.operation));
      row.appendChild(text("td", (r.fields || []).join(", ")));
      row.appendChild(text("td", r.code ? r.outcome + " · " + r.code : r.outcome));
      body.prepend(row);
    }
    while (body.rows.length > FEED_ROWS) body.deleteRow(body.rows.length - 1);
  }

  function startStream() {
    const state = document.getElementById("stream-state");
    const history = [];
    const source = new EventSource("/dashboard/stream");
    source.addEventListener("open", () => { state.textContent = "live"; });
    source.addEventListener("error", () => { state.textContent = "reconnecting…"; });
    source.addEventListener("tick", (event) => {
      const data = JSON.parse(event.data);
      const traffic = data.traffic;
      document.getElementById("rps").textContent = traffic.requests_per_second;
      document.getElementById("total").textContent = traffic.total;
      document.getElementById("p50").textContent = ms(traffic.p50_ms);
      document.getElementById("p99").textContent = ms(traffic.p99_ms);
      fillCounts("by-route", traffic.by_route);
      fillCounts("outcomes", traffic.outcomes);
      fillCounts("by-agency", data.audit.by_agency_operation);
      fillCounts("denials", data.audit.denials_by_code);
      history.push(traffic.requests_per_second);
      if (history.length > HISTORY) history.shift();
      drawChart(history);
      addFeed(data.records);
    });
  }

  function adminToken() {
    const input = document.getElementById("admin-token");
    const token = (input && input.value) || sessionStorage.getItem(TOKEN_KEY) || "";
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    return token;
  }

  async function adminFetch(method, url, body) {
    const message = document.getElementById("admin-message");
    const response = await fetch(url, {
      method: method,
      headers: {
        "Authorization": "Bearer " + adminToken(),
        "Content-Type": "application/json",
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.ok) {
      window.location.reload();
      return;
    }
    const problem = await response.json().catch(() => ({}));
    message.textContent = "Refused: " + response.status + " " + (problem.code || "") + " " + (problem.detail || "");
    message.className = "error";
  }

  function startSandbox() {
    const input = document.getElementById("admin-token");
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (input && saved) input.value = saved;
    document.getElementById("fault-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const agency = document.getElementById("fault-agency").value.trim();
      const rule = {
        route: document.getElementById("fault-route").value.trim(),
        probability: Number(document.getElementById("fault-probability").value),
        effect: { kind: "error", status: Number(document.getElementById("fault-status").value) },
        expires_in: 60 * Number(document.getElementById("fault-minutes").value),
        description: "created from the dashboard",
      };
      if (agency) rule.agency = agency;
      adminFetch("POST", "/v1/sandbox/faults", rule);
    });
    for (const button of document.querySelectorAll(".delete-rule")) {
      button.addEventListener("click", () => {
        adminFetch("DELETE", "/v1/sandbox/faults/" + encodeURIComponent(button.dataset.rule));
      });
    }
  }

  function startTracker() {
    const pick = document.getElementById("persona-pick");
    pick.addEventListener("change", () => {
      if (pick.value) {
        document.getElementById("personal-id").value = pick.value;
        pick.form.submit();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const page = document.body.dataset.page;
    if (page === "index") startStream();
    if (page === "sandbox") startSandbox();
    if (page === "tracker") startTracker();
  });
})();
