// The booking page over the citizens' API: concern → day and time → name
// → booked; and cancel or move with number and PIN. The session's proof of
// work runs in a worker from the moment the page opens.
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("texts").textContent);
  var setup = JSON.parse(document.getElementById("setup").textContent);
  var api = new URL("../api/v1/", document.baseURI).href;
  var lang = setup.lang;
  var office = setup.offices[0].id;
  var $ = function (id) { return document.getElementById(id); };
  var state = { concern: null, start: null, days: [], shown: 0, moving: null };
  var DAYS_AT_ONCE = 5;

  function text(id, values) {
    var s = T[id] || "";
    Object.keys(values || {}).forEach(function (k) { s = s.split("{" + k + "}").join(values[k]); });
    return s;
  }
  function status(msg, isError) {
    var el = $("status");
    el.textContent = msg || "";
    el.className = "status" + (isError ? " error" : "");
  }
  function show(id, on) { $(id).hidden = !on; }
  function focus(id) { var el = $(id); el.focus(); el.scrollIntoView({ block: "start" }); }

  // The session: solved in the background, waited for when first needed.
  var session = fetch(api + "challenge?lang=" + lang).then(function (r) { return r.json(); }).then(function (ch) {
    return new Promise(function (resolve) {
      var w = new Worker("pow.js");
      w.onmessage = function (ev) { w.terminate(); resolve({ challenge: ch.challenge, nonce: ev.data.nonce }); };
      w.postMessage({ challenge: ch.challenge, bits: ch.bits });
    });
  }).then(function (solved) {
    return call("POST", "sessions", solved);
  }).then(function (s) { return s.token; });

  function call(method, path, body, headers) {
    var h = { "Accept-Language": lang };
    if (body) { h["Content-Type"] = "application/json"; }
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    return fetch(api + path + (path.indexOf("?") < 0 ? "?" : "&") + "lang=" + lang,
      { method: method, headers: h, body: body ? JSON.stringify(body) : undefined }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { var e = new Error(data.detail || T.ChannelError); e.problem = data; throw e; }
        return data;
      });
    }, function () { throw new Error(T.ChannelError); });
  }
  function authed(method, path, body, headers) {
    status(T.BookWorking);
    return session.then(function (token) {
      var h = { Authorization: "Bearer " + token };
      Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
      return call(method, path, body, h);
    }).then(function (data) { status(""); return data; });
  }
  function failed(err) { status(err.message, true); }

  function button(label, cls, onclick, small) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = label;
    if (small) { var s = document.createElement("small"); s.textContent = small; b.appendChild(s); }
    b.addEventListener("click", onclick);
    return b;
  }

  // Step 1: the concern.
  function loadConcerns() {
    call("GET", "offices/" + encodeURIComponent(office) + "/concerns").then(function (data) {
      var box = $("concerns");
      box.textContent = "";
      data.concerns.filter(function (c) { return c.online; }).forEach(function (c) {
        var note = text("BookMinutes", { minutes: c.minutes }) + (c.fee ? " · " + text("BookFee") + " " + c.fee : "");
        var b = button(c.name, "choice", function () { chooseConcern(c, b); }, note);
        b.setAttribute("aria-pressed", "false");
        box.appendChild(b);
      });
    }, failed);
  }
  function chooseConcern(c, b) {
    Array.prototype.forEach.call($("concerns").querySelectorAll("button"), function (x) { x.setAttribute("aria-pressed", String(x === b)); });
    state.concern = c;
    state.moving = null;
    loadTimes([{ id: c.id, count: 1 }]);
  }

  // Step 2: day and time, in one view.
  function loadTimes(concerns) {
    var q = concerns.map(function (c) { return c.id + (c.count > 1 ? ":" + c.count : ""); }).join(",");
    state.concerns = concerns;
    call("GET", "offices/" + encodeURIComponent(office) + "/times?concerns=" + encodeURIComponent(q)).then(function (data) {
      state.days = data.days;
      state.shown = 0;
      $("days").textContent = "";
      $("minutes").textContent = text("BookMinutes", { minutes: data.minutes });
      show("step-time", true);
      show("step-name", false);
      if (!data.days.length) {
        $("days").textContent = text("BookNoTimes", { phone: setup.offices[0].phone });
      }
      moreDays();
      focus("h-time");
    }, failed);
  }
  function moreDays() {
    var end = Math.min(state.days.length, state.shown + DAYS_AT_ONCE);
    for (var i = state.shown; i < end; i++) {
      var d = state.days[i];
      var fs = document.createElement("fieldset");
      var lg = document.createElement("legend");
      lg.textContent = d.label;
      fs.appendChild(lg);
      var row = document.createElement("div");
      row.className = "times";
      d.times.forEach(function (t) {
        var b = button(t.label, "time", function () { chooseTime(d, t); });
        b.setAttribute("aria-label", d.label + ", " + t.label);
        row.appendChild(b);
      });
      fs.appendChild(row);
      $("days").appendChild(fs);
    }
    state.shown = end;
    $("more").textContent = T.BookMoreDays;
    show("more", state.shown < state.days.length);
  }
  function chooseTime(d, t) {
    var when = d.label + ", " + t.label;
    if (state.moving) { return confirmMove(t.start, when); }
    authed("POST", "offices/" + encodeURIComponent(office) + "/holds", { concerns: state.concerns, start: t.start }).then(function (held) {
      state.start = t.start;
      $("chosen").textContent = state.concern.name + " – " + when;
      status(text("BookHeld", { until: new Date(held.until).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" }) }));
      show("step-name", true);
      $("name").focus();
      $("step-name").scrollIntoView({ block: "start" });
    }, function (err) { failed(err); if (err.problem && err.problem.code === "time-taken") { loadTimes(state.concerns); } });
  }

  // Step 3: the name (and e-mail), and book.
  $("form-name").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = { concerns: state.concerns, start: state.start, name: $("name").value.trim() };
    if (setup.mail && $("email").value.trim()) { body.email = $("email").value.trim(); }
    authed("POST", "offices/" + encodeURIComponent(office) + "/bookings", body).then(booked, function (err) {
      failed(err);
      if (err.problem && err.problem.code === "invalid-input") { $("name").focus(); }
    });
  });
  function booked(b) {
    var dl = $("ticket");
    dl.textContent = "";
    [[T.BookNumber, b.number, true], [T.BookPIN, b.pin, true], [T.BookWhen, b.when], [T.BookPlace, b.place]].forEach(function (row) {
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = row[0];
      dd.textContent = row[1];
      if (row[2]) { dd.className = "big"; }
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    $("pin-keep").textContent = T.BookPINKeep;
    $("h-bring").textContent = T.BookBring;
    var ul = $("bring");
    ul.textContent = "";
    b.documents.forEach(function (d) { var li = document.createElement("li"); li.textContent = d; ul.appendChild(li); });
    var a = $("calendar");
    a.textContent = T.BookCalendar;
    a.href = URL.createObjectURL(new Blob([b.calendar], { type: "text/calendar" }));
    $("number").value = b.number;
    $("pin").value = b.pin;
    ["step-concern", "step-time", "step-name"].forEach(function (id) { show(id, false); });
    show("step-done", true);
    focus("h-done");
  }
  $("again").addEventListener("click", function () { location.reload(); });

  // Cancel or move with number and PIN.
  var managed = null;
  $("form-manage").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if ($("manage-office").value) { office = $("manage-office").value; }
    authed("GET", "offices/" + encodeURIComponent(office) + "/bookings/" + encodeURIComponent($("number").value.trim()), null,
      { "Booking-PIN": $("pin").value.trim() }).then(function (b) {
      managed = b;
      $("managed-text").textContent = b.number + ": " + b.when + " – " + b.place;
      var active = b.status === "booked";
      show("do-cancel", active);
      show("do-move", active);
      show("managed", true);
      if (!active) { $("managed-text").textContent += " (" + T.BookCancelled + ")"; }
    }, failed);
  });
  function bookingPath() { return "offices/" + encodeURIComponent(office) + "/bookings/" + encodeURIComponent(managed.number); }
  $("do-cancel").addEventListener("click", function () {
    authed("DELETE", bookingPath(), null, { "Booking-PIN": $("pin").value.trim() }).then(function () {
      show("managed", false);
      status(T.BookCancelled);
    }, failed);
  });
  $("do-move").addEventListener("click", function () {
    state.moving = managed;
    show("step-concern", true);
    loadTimes(managed.concerns);
    state.moving = managed;
  });
  function confirmMove(start, when) {
    authed("PATCH", bookingPath(), { start: start }, { "Booking-PIN": $("pin").value.trim() }).then(function (b) {
      state.moving = null;
      show("step-time", false);
      $("managed-text").textContent = b.number + ": " + b.when + " – " + b.place;
      status(text("BookMoved", { when: b.when }));
      focus("h-manage");
    }, failed);
  }

  // The words, the offices, the e-mail field.
  $("label-name").textContent = T.BookName;
  $("label-email").textContent = T.BookEmail;
  $("email-hint").textContent = T.BookEmailHint;
  $("submit").textContent = T.BookSubmit;
  $("label-number").textContent = T.BookNumberLabel;
  $("label-pin").textContent = T.BookPINLabel;
  $("lookup").textContent = T.BookLookUp;
  $("do-cancel").textContent = T.BookCancel;
  $("do-move").textContent = T.BookMove;
  $("again").textContent = T.BookAgain;
  $("label-manage-office").textContent = T.BookOffice;
  show("email-field", setup.mail);
  $("more").addEventListener("click", moreDays);
  if (setup.offices.length > 1) {
    var box = $("offices"), sel = $("manage-office");
    setup.offices.forEach(function (o) {
      var b = button(o.name, "choice", function () {
        office = o.id;
        Array.prototype.forEach.call(box.querySelectorAll("button"), function (x) { x.setAttribute("aria-pressed", String(x === b)); });
        loadConcerns();
      });
      b.setAttribute("aria-pressed", String(o.id === office));
      box.appendChild(b);
      var opt = document.createElement("option");
      opt.value = o.id;
      opt.textContent = o.name;
      sel.appendChild(opt);
    });
    show("offices", true);
    show("manage-office-field", true);
  }
  loadConcerns();

  // Embedded: tell the town's page how tall the booking is.
  if (window.parent !== window && window.ResizeObserver) {
    new ResizeObserver(function () {
      window.parent.postMessage({ bbHeight: document.documentElement.scrollHeight }, "*");
    }).observe(document.body);
  }
})();
