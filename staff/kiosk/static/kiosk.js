// The info desk: one button per concern; a press gets a walk-in number and
// prints the ticket.
(function () {
  "use strict";
  var pick = document.getElementById("pick"), ticket = document.getElementById("ticket");
  var error = document.getElementById("error"), list = document.getElementById("concerns");
  var words = {};
  function q(sel) { return ticket.querySelector(sel); }
  fetch("api/concerns").then(function (r) { return r.json(); }).then(function (data) {
    words = data.words || {};
    document.documentElement.lang = data.lang || "de";
    document.querySelectorAll("[data-text]").forEach(function (e) {
      if (words[e.dataset.text]) { e.textContent = words[e.dataset.text]; }
    });
    document.getElementById("office").textContent = data.office;
    data.concerns.forEach(function (c) {
      var b = document.createElement("button");
      b.type = "button";
      b.dataset.concern = c.id;
      b.textContent = c.name;
      var s = document.createElement("small"); s.textContent = (words.PageKioskMinutes || "{n}").replace("{n}", c.minutes); b.appendChild(s);
      b.addEventListener("click", function () { issue(c.id); });
      list.appendChild(b);
    });
  });
  function issue(id) {
    error.hidden = true;
    fetch("api/ticket", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ concern: id }) })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, d: d }; }); })
      .then(function (res) {
        if (!res.ok) { error.textContent = res.d.error; error.hidden = false; return; }
        var t = res.d;
        q(".office").textContent = t.office;
        q(".number").textContent = t.number;
        q(".concern").textContent = t.concern;
        q(".wait").textContent = (words.PageKioskAhead || "{ahead}, {min}").replace("{ahead}", t.ahead).replace("{min}", t.wait_min);
        q(".issued").textContent = t.issued;
        var docs = q(".docs"); docs.textContent = "";
        t.documents.forEach(function (d) { var li = document.createElement("li"); li.textContent = d; docs.appendChild(li); });
        pick.hidden = true; ticket.hidden = false;
        if (!t.printed && !navigator.webdriver) { window.print(); } // the service printed it, or a test browser
      })
      .catch(function () { error.textContent = words.PageKioskOffline || "–"; error.hidden = false; });
  }
  document.getElementById("again").addEventListener("click", function () { ticket.hidden = true; pick.hidden = false; });
}());
