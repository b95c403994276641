// The clerk's page: call the next citizen to my counter, mark them, see
// the queue; refreshed every few seconds.
(function () {
  "use strict";
  var sel = document.getElementById("counter"), msg = document.getElementById("message");
  var serving = document.getElementById("serving"), current = null;
  function post(path, body) {
    return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { return r.json(); });
  }
  var words = {};
  function li(text) { var e = document.createElement("li"); e.textContent = text; return e; }
  // fill fills a list, or says with one line that it is empty.
  function fill(list, items, text, empty) {
    list.textContent = "";
    items.forEach(function (e) { list.appendChild(li(text(e))); });
    if (!items.length) { var e = li(empty); e.className = "empty"; list.appendChild(e); }
  }
  // speak puts the page's own words in the language the server chose.
  function speak(st) {
    words = st.words || {};
    document.documentElement.lang = st.lang || "de";
    document.querySelectorAll("[data-text]").forEach(function (e) {
      if (words[e.dataset.text]) { e.textContent = words[e.dataset.text]; }
    });
  }
  function refresh() {
    fetch("api/state").then(function (r) { return r.json(); }).then(function (st) {
      speak(st);
      document.getElementById("office").textContent = st.office;
      if (!sel.options.length) {
        st.counters.forEach(function (c) { var o = document.createElement("option"); o.value = c.id; o.textContent = c.name; sel.appendChild(o); });
        sel.value = localStorage.getItem("counter") || st.counters[0].id;
      }
      var mine = st.counters.filter(function (c) { return c.id === sel.value; })[0];
      current = mine && mine.serving;
      serving.hidden = !current;
      if (current) {
        serving.querySelector(".number").textContent = current.number;
        serving.querySelector(".details").textContent = current.concerns + " · " + current.when + (current.name ? " · " + current.name : "") + " · " + current.status_label;
      }
      fill(document.getElementById("waiting"), st.waiting, function (e) { return e.number + " – " + e.concerns + ", " + e.when; }, words.PageCounterNobodyWaiting);
      fill(document.getElementById("counters"), st.counters, function (c) {
        return c.name + ": " + (c.serving ? c.serving.number + " (" + c.serving.status_label + ")" : words.PageCounterFree);
      }, "");
      fill(document.getElementById("later"), st.later, function (e) { return e.number + " – " + e.when; }, words.PageCounterNoLater);
    });
  }
  sel.addEventListener("change", function () { localStorage.setItem("counter", sel.value); refresh(); });
  document.getElementById("next").addEventListener("click", function () {
    post("api/next", { counter: sel.value }).then(function (res) {
      msg.textContent = res.called ? (words.PageCounterCalled || "{n}").replace("{n}", res.called.number) : (res.message || res.error);
      refresh();
    });
  });
  serving.querySelectorAll("button[data-action]").forEach(function (b) {
    b.addEventListener("click", function () {
      if (!current) { return; }
      post("api/act", { id: current.id, action: b.dataset.action }).then(function (res) {
        msg.textContent = res.error || (res.booking.number + ": " + res.booking.status_label);
        refresh();
      });
    });
  });
  refresh();
  setInterval(refresh, 3000);
}());
