// Participa: the facilitator's tablet app for in-person voting sessions (issue #13, DESIGN §4).
//
// Works offline. What the tablet records goes first into IndexedDB, in the same transaction as
// the session's counters, and only then is shown as recorded; it leaves the device only when
// the server has answered for it (stored, acknowledged again, or refused with a reason). The
// sync call is authorised by the session's token, kept in IndexedDB, never by the login cookie
// or a CSRF token, which may expire while the tablet is offline.
"use strict";

(() => {
  const body = document.body;
  const APP = body.dataset.app; // "/facilitacion/"
  const API = APP + "api/sesiones";
  const WORDS = JSON.parse(document.getElementById("strings").textContent);
  const BATCH = 200;
  const $ = (id) => document.getElementById(id);

  function say(key, values) {
    let text = WORDS[key] || key;
    for (const [name, value] of Object.entries(values || {})) {
      text = text.replace(`%(${name})s`, String(value));
    }
    return text;
  }

  // --- storage: IndexedDB -------------------------------------------------------------------

  let database = null;

  function openDatabase() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open("participa-facilitacion", 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("sessions", { keyPath: "id" });
        const queue = db.createObjectStore("queue", { keyPath: "uuid" });
        queue.createIndex("session", "session");
        db.createObjectStore("meta", { keyPath: "key" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function transaction(stores, mode, work) {
    return new Promise((resolve, reject) => {
      const tx = database.transaction(stores, mode);
      let result;
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
      result = work(tx);
    });
  }

  function request(store, call) {
    return new Promise((resolve, reject) => {
      const r = call(store);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }

  const read = (storeName, key) =>
    request(database.transaction([storeName]).objectStore(storeName), (s) => s.get(key));
  const readAll = (storeName) =>
    request(database.transaction([storeName]).objectStore(storeName), (s) => s.getAll());

  // --- RUT, hashes and receipts ---------------------------------------------------------------

  function normaliseRut(text) {
    const cleaned = (text || "").replace(/[\s.]/g, "").replace(/[‐‑–]/g, "-").toUpperCase();
    const match = /^([0-9]{1,9})-?([0-9K])$/.exec(cleaned);
    if (!match) return null;
    let number = parseInt(match[1], 10);
    if (!number) return null;
    let total = 0;
    let factor = 2;
    for (let n = number; n > 0; n = Math.floor(n / 10)) {
      total += (n % 10) * factor;
      factor = factor === 7 ? 2 : factor + 1;
    }
    const remainder = 11 - (total % 11);
    const digit = remainder === 11 ? "0" : remainder === 10 ? "K" : String(remainder);
    return digit === match[2] ? `${number}-${digit}` : null;
  }

  const encoder = new TextEncoder();
  const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  const fromHex = (text) => new Uint8Array(text.match(/../g).map((h) => parseInt(h, 16)));

  async function sha256(text) {
    return hex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  }

  function base32(bytes) {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits = 0;
    let value = 0;
    let out = "";
    for (const byte of bytes) {
      value = (value << 8) | byte;
      bits += 8;
      while (bits >= 5) {
        out += alphabet[(value >>> (bits - 5)) & 31];
        bits -= 5;
      }
    }
    return out;
  }

  // The same code the server computes (participa.facilitation.rules.receipt_code).
  async function receiptCode(keyHex, message) {
    const key = await crypto.subtle.importKey("raw", fromHex(keyHex), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    const digest = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
    const text = base32(digest.slice(0, 10));
    return text.match(/.{4}/g).join("-");
  }

  function ballotMessage(sessionId, uuid, organisation, answers) {
    const listed = Object.keys(answers)
      .map(Number)
      .sort((a, b) => a - b)
      .map((q) => `${q}=${answers[q]}`)
      .join(";");
    return `${sessionId}|${uuid}|${organisation}|${listed}`;
  }

  // --- views -----------------------------------------------------------------------------------

  const VIEWS = ["sessions-view", "checkin-view", "ballot-view", "review-view", "receipt-view"];

  function show(view, focus) {
    for (const id of VIEWS) $(id).hidden = id !== view;
    const target = focus || $(view).querySelector("h1");
    if (target) {
      target.setAttribute("tabindex", "-1");
      target.focus();
    }
  }

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  // --- state ---------------------------------------------------------------------------------

  let current = null; // the open session: {id, package, seq, recorded}
  let person = null; // {hash, organisations: [roll entries]}
  let ballot = null; // {organisation, answers}
  let syncing = false;

  async function pendingCount() {
    return (await readAll("queue")).length;
  }

  async function renderStatus() {
    $("network").textContent = navigator.onLine ? say("online") : say("offline");
    const pending = await pendingCount();
    $("pending").textContent = pending ? say("pending", { n: pending }) : say("synced");
    $("pending").dataset.count = String(pending);
  }

  // --- sessions list (online, signed in) ------------------------------------------------------

  async function loadSessions() {
    $("sign-in").hidden = true;
    let answer;
    try {
      const response = await fetch(API, { credentials: "same-origin", headers: { Accept: "application/json" } });
      const type = response.headers.get("Content-Type") || "";
      if (!response.ok || !type.includes("application/json")) {
        $("sessions-message").textContent = say("sign_in");
        $("sign-in").hidden = false;
        return null;
      }
      answer = await response.json();
    } catch (error) {
      $("sessions-message").textContent = say("offline");
      return null;
    }
    const list = $("sessions");
    list.replaceChildren();
    const usable = answer.sessions.filter((s) => s.state !== "closed");
    $("sessions-message").textContent = usable.length ? "" : say("no_sessions");
    for (const s of usable) {
      const when = `${new Date(s.starts_at).toLocaleString("es-CL")} – ${new Date(s.ends_at).toLocaleString("es-CL")}`;
      const button = element("button", { type: "button", class: "button", text: say("open") });
      button.append(element("span", { class: "visually-hidden", text: ` · ${s.place}` }));
      button.addEventListener("click", () => openSession(s.id, answer.csrf_token));
      list.append(element("li", { class: "card" }, element("p", { text: `${s.place} · ${when}` }), button));
    }
    return answer.csrf_token;
  }

  async function openSession(id, csrfToken) {
    const response = await fetch(`${API}/${id}/abrir`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken, Accept: "application/json" },
      body: JSON.stringify({ device: $("device").value }),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      $("sessions-message").textContent = answer.message || say("sync_failed");
      return;
    }
    current = { id, package: answer, seq: 0, recorded: 0, voted: [] };
    await transaction(["sessions", "meta"], "readwrite", (tx) => {
      tx.objectStore("sessions").put(current);
      tx.objectStore("meta").put({ key: "current", value: id });
    });
    showSession();
  }

  // --- check-in, ballot, review, receipt -------------------------------------------------------

  function showSession() {
    const record = current.package.record;
    $("session-title").textContent = record.title;
    $("session-place").textContent = `${record.place}${record.comuna ? " · " + record.comuna : ""}`;
    $("organisations").replaceChildren();
    $("close-message").textContent = "";
    show("checkin-view");
  }

  async function checkIn(event) {
    event.preventDefault();
    const rut = normaliseRut($("rut").value);
    const error = $("rut-error");
    const field = $("rut-field");
    $("organisations").replaceChildren();
    if (!rut) {
      error.textContent = say("rut_invalid");
      error.hidden = false;
      field.classList.add("field-error");
      $("rut").setAttribute("aria-invalid", "true");
      $("rut").setAttribute("aria-describedby", "rut-hint rut-error");
      $("rut").focus();
      return;
    }
    error.hidden = true;
    field.classList.remove("field-error");
    $("rut").removeAttribute("aria-invalid");
    $("rut").setAttribute("aria-describedby", "rut-hint");
    const hash = await sha256(`${current.package.salt}:${rut}`);
    const organisations = current.package.roll.filter((entry) => entry.representatives.includes(hash));
    $("rut").value = ""; // the RUT is not kept on the device, only its salted hash
    if (!organisations.length) {
      $("organisations").append(element("p", { class: "error-message", text: say("rut_unknown") }));
      return;
    }
    person = { hash, organisations };
    const time = new Date().toISOString();
    await transaction(["sessions", "queue"], "readwrite", (tx) => {
      for (const entry of organisations) {
        current.seq += 1;
        tx.objectStore("queue").put({
          uuid: crypto.randomUUID(),
          session: current.id,
          item: {
            kind: "checkin",
            organisation: entry.organisation,
            representative: hash,
            seq: current.seq,
            device_time: time,
          },
        });
      }
      tx.objectStore("sessions").put(current);
    });
    renderOrganisations();
    renderStatus();
  }

  function renderOrganisations() {
    const list = element("ul", { class: "plain organisation-list" });
    for (const entry of person.organisations) {
      const done = current.voted.includes(entry.organisation);
      const button = element("button", { type: "button", class: "button", text: entry.name });
      button.append(element("span", { text: ` · ${say("weight")} ${entry.weight.replace(".", ",")}` }));
      if (done) button.append(element("span", { text: ` · ${say("voted_here")}` }));
      button.addEventListener("click", () => startBallot(entry));
      list.append(element("li", {}, button));
    }
    $("organisations").replaceChildren(list);
  }

  function startBallot(entry) {
    ballot = { organisation: entry, answers: {} };
    $("ballot-organisation").textContent = entry.name;
    $("ballot-error").hidden = true;
    const container = $("questions");
    container.replaceChildren();
    for (const question of current.package.questions) {
      const fieldset = element("fieldset", { class: "choices" }, element("legend", { text: question.title }));
      for (const choice of ["approve", "reject", "abstain"]) {
        const id = `q-${question.id}-${choice}`;
        const input = element("input", { type: "radio", name: `q-${question.id}`, value: choice, id });
        const label = element("label", { for: id, class: "choice" }, input, ` ${say("choices." + choice)}`);
        fieldset.append(label);
      }
      container.append(fieldset);
    }
    show("ballot-view");
  }

  function review(event) {
    event.preventDefault();
    const answers = {};
    for (const question of current.package.questions) {
      const chosen = document.querySelector(`input[name="q-${question.id}"]:checked`);
      if (chosen) answers[question.id] = chosen.value;
    }
    if (Object.keys(answers).length !== current.package.questions.length) {
      $("ballot-error").textContent = say("answer_all");
      $("ballot-error").hidden = false;
      $("ballot-error").focus();
      return;
    }
    ballot.answers = answers;
    $("review-organisation").textContent = ballot.organisation.name;
    const rows = current.package.questions.map((q) =>
      element("tr", {}, element("td", { text: q.title }), element("td", { text: say("choices." + answers[q.id]) }))
    );
    $("review-table").querySelector("tbody").replaceChildren(...rows);
    show("review-view");
  }

  async function confirmBallot() {
    $("confirm").disabled = true;
    try {
      const uuid = crypto.randomUUID();
      const organisation = ballot.organisation.organisation;
      const code = await receiptCode(
        current.package.receipt_key,
        ballotMessage(current.id, uuid, organisation, ballot.answers)
      );
      const answers = {};
      for (const [question, choice] of Object.entries(ballot.answers)) answers[String(question)] = choice;
      await transaction(["sessions", "queue"], "readwrite", (tx) => {
        current.seq += 1;
        current.recorded += 1;
        if (!current.voted.includes(organisation)) current.voted.push(organisation);
        tx.objectStore("queue").put({
          uuid,
          session: current.id,
          item: {
            kind: "vote",
            organisation,
            representative: person.hash,
            answers,
            seq: current.seq,
            device_time: new Date().toISOString(),
          },
        });
        tx.objectStore("sessions").put(current);
      });
      // Recorded on the device: only now is it shown as recorded.
      $("receipt-organisation").textContent = ballot.organisation.name;
      $("receipt-label").textContent = say("receipt");
      $("receipt-code").textContent = code;
      $("receipt-hint").textContent = say("receipt_hint");
      ballot = null;
      show("receipt-view");
      renderStatus();
      syncSoon();
    } finally {
      $("confirm").disabled = false;
    }
  }

  function nextPerson() {
    person = null;
    showSession();
    $("rut").focus();
  }

  // --- sync --------------------------------------------------------------------------------------

  async function syncSession(session, items) {
    for (let start = 0; start < items.length; start += BATCH) {
      const batch = items.slice(start, start + BATCH);
      const response = await fetch(`${API}/${session.id}/sincronizar`, {
        method: "POST",
        credentials: "omit",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          Authorization: `Bearer ${session.package.token}`,
        },
        body: JSON.stringify({ items: batch.map((entry) => ({ uuid: entry.uuid, ...entry.item })) }),
      });
      if (response.status === 401 || response.status === 403) {
        $("close-message").textContent = say("revoked");
        return false;
      }
      if (response.status !== 200 && response.status !== 207) return false;
      const answer = await response.json();
      const settled = answer.results.filter((r) => r.status !== 503).map((r) => r.uuid);
      // The server has answered for these: stored, acknowledged again, or refused with a reason.
      await transaction(["queue"], "readwrite", (tx) => {
        for (const uuid of settled) tx.objectStore("queue").delete(uuid);
      });
      const refused = answer.results.filter((r) => r.status === 422 || r.status === 409);
      if (refused.length) {
        $("close-message").textContent = refused
          .map((r) => say("refused", { reason: say("reason." + r.reason) }))
          .join(" · ");
      }
    }
    return true;
  }

  async function syncAll() {
    if (syncing) return;
    syncing = true;
    try {
      const queue = await readAll("queue");
      const sessions = await readAll("sessions");
      let ok = true;
      for (const session of sessions) {
        const items = queue.filter((entry) => entry.session === session.id);
        items.sort((a, b) => a.item.seq - b.item.seq);
        if (items.length) ok = (await syncSession(session, items)) && ok;
      }
      $("sync-result").textContent = ok ? "" : say("sync_failed");
    } catch (error) {
      $("sync-result").textContent = say("sync_failed");
    } finally {
      syncing = false;
      await renderStatus().catch(() => {});
    }
  }

  let timer = null;
  function syncSoon() {
    clearTimeout(timer);
    timer = setTimeout(syncAll, 300);
  }

  // --- closing -----------------------------------------------------------------------------------

  async function closeSession() {
    const message = $("close-message");
    await syncAll();
    const pending = (await readAll("queue")).filter((entry) => entry.session === current.id).length;
    if (pending) {
      message.textContent = say("close_pending", { n: pending });
      return;
    }
    let csrfToken;
    try {
      const response = await fetch(API, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!(response.headers.get("Content-Type") || "").includes("application/json")) throw new Error("signed out");
      csrfToken = (await response.json()).csrf_token;
    } catch (error) {
      message.replaceChildren(
        say("close_sign_in") + " ",
        element("a", { href: body.dataset.login, text: say("sign_in_link") })
      );
      return;
    }
    const response = await fetch(`${API}/${current.id}/cerrar`, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken,
        Authorization: `Bearer ${current.package.token}`,
      },
      body: JSON.stringify({ recorded: current.recorded }),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      message.textContent = answer.message || say("sync_failed");
      return;
    }
    await transaction(["sessions", "meta"], "readwrite", (tx) => {
      tx.objectStore("sessions").delete(current.id);
      tx.objectStore("meta").delete("current");
    });
    current = null;
    show("sessions-view");
    $("closed-acta").replaceChildren(
      say("close_done") + " ",
      element("a", { href: answer.acta, id: "acta-link", text: answer.acta })
    );
    loadSessions();
  }

  // --- start -------------------------------------------------------------------------------------

  async function start() {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(APP + "sw.js", { scope: APP }).catch(() => {});
    }
    database = await openDatabase();
    $("checkin-form").addEventListener("submit", checkIn);
    $("ballot-form").addEventListener("submit", review);
    $("ballot-cancel").addEventListener("click", () => show("checkin-view"));
    $("review-back").addEventListener("click", () => show("ballot-view"));
    $("confirm").addEventListener("click", confirmBallot);
    $("next-person").addEventListener("click", nextPerson);
    $("sync-now").addEventListener("click", syncAll);
    $("close-session").addEventListener("click", closeSession);
    window.addEventListener("online", () => {
      renderStatus();
      syncAll();
    });
    window.addEventListener("offline", renderStatus);
    setInterval(() => {
      pendingCount().then((n) => n && syncAll());
    }, 15000);
    const marker = await read("meta", "current");
    current = marker ? await read("sessions", marker.value) : null;
    await renderStatus();
    if (current) {
      showSession();
      syncSoon();
    } else {
      show("sessions-view");
      loadSessions();
    }
    body.dataset.ready = "true";
  }

  start();
})();
