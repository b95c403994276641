// The web chat page: sends what is typed or pressed, shows the replies and
// their options as buttons, and polls for messages the office sends on its
// own (reminders, offers, calls).
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("form");
  var input = document.getElementById("text");

  function bubble(text, who) {
    var div = document.createElement("div");
    div.className = "msg " + who;
    div.dir = "auto"; // an Arabic reply reads right to left on any page
    div.textContent = text;
    log.appendChild(div);
    return div;
  }

  function show(replies) {
    replies.forEach(function (r) {
      var div = bubble(r.text, "bot");
      (r.attachments || []).forEach(function (a) {
        var link = document.createElement("a");
        link.className = "file";
        link.textContent = "📅 " + a.name;
        link.download = a.name;
        link.href = "data:" + a.content_type.split(";")[0] + ";base64," + a.data;
        div.appendChild(document.createElement("br"));
        div.appendChild(link);
      });
      if (r.options && r.options.length) {
        var box = document.createElement("div");
        box.className = "options";
        r.options.forEach(function (o) {
          var b = document.createElement("button");
          b.type = "button";
          b.dir = "auto";
          b.textContent = o.label;
          b.addEventListener("click", function () {
            box.classList.add("used");
            bubble(o.label, "me");
            send({ option: o.id });
          });
          box.appendChild(b);
        });
        log.appendChild(box);
      }
    });
    log.scrollTop = log.scrollHeight;
  }

  // session starts a chat: the server hands out a little work (a proof of
  // work, so scripts cannot mint sessions by the thousand), a worker does it.
  var starting = null;
  function session() {
    if (!starting) {
      starting = fetch("api/challenge", { credentials: "same-origin" })
        .then(function (res) { return res.json(); })
        .then(function (ch) {
          return new Promise(function (resolve) {
            var worker = new Worker("pow.js");
            worker.onmessage = function (ev) { worker.terminate(); resolve({ challenge: ch.challenge, nonce: ev.data.nonce }); };
            worker.postMessage(ch);
          });
        })
        .then(function (solved) {
          return fetch("api/session", {
            method: "POST", headers: { "Content-Type": "application/json" },
            body: JSON.stringify(solved), credentials: "same-origin"
          });
        })
        .then(function () { starting = null; });
    }
    return starting;
  }

  function post(body) {
    return fetch("api/message", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body), credentials: "same-origin"
    }).then(function (res) { return res.json(); });
  }

  function send(body, again) {
    return post(body)
      .then(function (data) {
        if (data.session === "needed" && !again) {
          return session().then(function () { return send(body, true); });
        }
        show(data.replies || []);
      })
      .catch(function () { bubble("Keine Verbindung zum Server. / No connection to the server.", "bot offline"); });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    document.querySelectorAll(".options").forEach(function (o) { o.classList.add("used"); });
    bubble(text, "me");
    send({ text: text });
  });

  function poll() {
    fetch("api/poll", { credentials: "same-origin" })
      .then(function (res) { return res.json(); })
      .then(function (data) { if (data.replies && data.replies.length) { show(data.replies); } })
      .catch(function () {})
      .then(function () { setTimeout(poll, 5000); });
  }

  send({ text: "" }).then(poll);
}());
