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
  function li(text) { var e = document.createElement("li"); e.textContent = text; return e; }
  function refresh() {
    fetch("api/state").then(function (r) { return r.json(); }).then(function (st) {
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
        serving.querySelector(".details").textContent = current.concerns + " · " + current.when + (current.name ? " · " + current.name : "") + " · " + current.status;
      }
      var w = document.getElementById("waiting"); w.textContent = "";
      st.waiting.forEach(function (e) { w.appendChild(li(e.number + " – " + e.concerns + ", " + e.when)); });
      var cs = document.getElementById("counters"); cs.textContent = "";
      st.counters.forEach(function (c) { cs.appendChild(li(c.name + ": " + (c.serving ? c.serving.number + " (" + c.serving.status + ")" : "frei"))); });
      var l = document.getElementById("later"); l.textContent = "";
      st.later.forEach(function (e) { l.appendChild(li(e.number + " – " + e.when)); });
    });
  }
  sel.addEventListener("change", function () { localStorage.setItem("counter", sel.value); refresh(); });
  document.getElementById("next").addEventListener("click", function () {
    post("api/next", { counter: sel.value }).then(function (res) {
      msg.textContent = res.called ? res.called.number + " ist aufgerufen." : (res.message || res.error);
      refresh();
    });
  });
  serving.querySelectorAll("button[data-action]").forEach(function (b) {
    b.addEventListener("click", function () {
      if (!current) { return; }
      post("api/act", { id: current.id, action: b.dataset.action }).then(function (res) {
        msg.textContent = res.error || (res.booking.number + ": " + res.booking.status);
        refresh();
      });
    });
  });
  refresh();
  setInterval(refresh, 3000);
}());
