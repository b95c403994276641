// The foyer display: shows the calls it receives by Server-Sent Events,
// chimes (and, with ?speech=1, speaks) on each new call, shows "offline"
// when the server is gone and catches up when it returns.
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var speech = params.get("speech") === "1";
  var nowList = document.getElementById("now");
  var lastList = document.getElementById("last");
  var empty = document.getElementById("empty");
  var offline = document.getElementById("offline");
  var clock = document.getElementById("clock");
  var office = document.getElementById("office");
  var newest = null;  // id@at of the newest call shown
  var offset = 0;      // server time - local time
  var zone = null;     // the office's offset from UTC, in seconds
  var es = null, watchdog = null, last = null;
  var CURRENT = 2, FRESH_MS = 10 * 60 * 1000; // the newest calls in large type, the rest as the last calls
  var waits = document.getElementById("waits"), waitList = document.getElementById("wait-list");

  // spokenNumber is how a number is read aloud: "T-042" as "T 42", a
  // longer one digit by digit ("T-48213": "T 4 8 2 1 3"), as people read
  // numbers of an office of a city's size.
  function spokenNumber(number) {
    var parts = number.split("-"), digits = parts[1] || "";
    if (digits.length > 3) {
      return parts[0] + " " + digits.split("").join(" ");
    }
    return number.replace("-", " ").replace(/ 0+(\d)/, " $1");
  }
  window.spokenNumber = spokenNumber; // for the test that reads it in the browser

  // fit shrinks an element's text until it fits its box: a long counter
  // name is made smaller, never cut.
  function fit(el) {
    el.style.fontSize = "";
    var size = parseFloat(getComputedStyle(el).fontSize), min = size * 0.3;
    while (el.scrollWidth > el.clientWidth + 1 && size > min) {
      size *= 0.92;
      el.style.fontSize = size + "px";
    }
  }
  // fitAll fits every row, and gives the rows of a list one size: the
  // smallest any of them needed.
  function fitAll() {
    var sizes = {};
    ["#now li", "#last li", "#waits"].forEach(function (sel) {
      var els = Array.prototype.slice.call(document.querySelectorAll(sel));
      els.forEach(fit);
      var min = Math.min.apply(null, els.map(function (el) { return parseFloat(getComputedStyle(el).fontSize); }));
      if (sel === "#last li" && sizes["#now li"]) { min = Math.min(min, sizes["#now li"] * 0.6); } // the last calls stay smaller
      els.forEach(function (el) { el.style.fontSize = min + "px"; });
      sizes[sel] = min;
    });
  }
  window.addEventListener("resize", fitAll);

  function row(c, cls) {
    var li = document.createElement("li");
    li.className = cls || "";
    li.dataset.number = c.number;
    var n = document.createElement("span"); n.className = "number"; n.textContent = c.number;
    var a = document.createElement("span"); a.className = "arrow"; a.textContent = "→";
    var p = document.createElement("span"); p.className = "counter"; p.textContent = c.counter;
    li.appendChild(n); li.appendChild(a); li.appendChild(p);
    return li;
  }

  function render(st) {
    last = st;
    office.textContent = st.office;
    offset = st.server_time - Date.now();
    zone = st.utc_offset;
    tick();
    var calls = st.calls || [];
    var key = calls.length ? calls[0].id + "@" + calls[0].at : null;
    var isNew = newest !== null && key !== null && key !== newest;
    nowList.textContent = ""; lastList.textContent = "";
    var t = Date.now() + offset, shown = 0;
    calls.forEach(function (c, i) {
      if (shown < CURRENT && t - c.at < FRESH_MS) {
        nowList.appendChild(row(c, i === 0 && isNew ? "fresh" : ""));
        shown++;
      } else {
        lastList.appendChild(row(c));
      }
    });
    empty.hidden = shown > 0;
    var ws = st.waits || [];
    waits.hidden = ws.length === 0;
    waitList.textContent = ws.map(function (w) { return w.group + " " + (w.minutes > 0 ? "etwa " + w.minutes + " Min." : "kurz"); }).join(" · ");
    fitAll();
    if (isNew) { announce(calls[0]); }
    newest = key;
  }

  function announce(c) {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      [[880, 0], [660, 0.35]].forEach(function (tone) {
        var o = ctx.createOscillator(), g = ctx.createGain();
        o.frequency.value = tone[0];
        g.gain.setValueAtTime(0.0001, ctx.currentTime + tone[1]);
        g.gain.exponentialRampToValueAtTime(0.4, ctx.currentTime + tone[1] + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + tone[1] + 0.6);
        o.connect(g); g.connect(ctx.destination);
        o.start(ctx.currentTime + tone[1]); o.stop(ctx.currentTime + tone[1] + 0.65);
      });
    } catch (e) { /* no sound on this screen */ }
    if (speech && window.speechSynthesis) {
      var u = new SpeechSynthesisUtterance("Nummer " + spokenNumber(c.number) + ", bitte zu " + c.counter);
      u.lang = "de-DE";
      window.speechSynthesis.speak(u);
    }
  }

  function alive() {
    clearTimeout(watchdog);
    watchdog = setTimeout(reconnect, 40000); // pings come every 15 s
  }

  function connect() {
    es = new EventSource("events" + (params.get("token") ? "?token=" + encodeURIComponent(params.get("token")) : ""));
    es.addEventListener("state", function (ev) { offline.hidden = true; alive(); render(JSON.parse(ev.data)); });
    es.addEventListener("ping", function () { offline.hidden = true; alive(); });
    es.onopen = function () { offline.hidden = true; alive(); };
    es.onerror = function () { offline.hidden = false; };
    alive();
  }

  function reconnect() {
    offline.hidden = false;
    if (es) { es.close(); }
    connect();
  }

  // The clock shows the office's time, whatever zone the screen is set to.
  function tick() {
    if (zone === null) { return; }
    var d = new Date(Date.now() + offset + zone * 1000);
    clock.textContent = String(d.getUTCHours()).padStart(2, "0") + ":" + String(d.getUTCMinutes()).padStart(2, "0");
  }
  setInterval(tick, 1000);
  // Calls move from the big list to the last calls as they age.
  setInterval(function () { if (last) { var n = newest; render(last); newest = n; } }, 30000);
  tick();
  connect();
}());
