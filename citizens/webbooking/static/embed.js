// The booking page in any page of a town's CMS:
//   <div id="buergerbuero-booking"></div>
//   <script src="https://termine.example.de/book/embed.js" async></script>
// makes an iframe of /book/ in the element, as tall as its content (the
// page tells its height). data-lang="en" on the element picks the language.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(".", script.src);
  var host = document.getElementById("buergerbuero-booking");
  if (!host) { return; }
  var frame = document.createElement("iframe");
  var src = new URL("./?embed=1", base);
  if (host.dataset.lang) { src.searchParams.set("lang", host.dataset.lang); }
  frame.src = src.href;
  frame.title = host.dataset.title || "Termin buchen / Book an appointment";
  frame.style.cssText = "width:100%;border:0;min-height:30rem;display:block";
  frame.setAttribute("loading", "lazy");
  host.appendChild(frame);
  window.addEventListener("message", function (ev) {
    if (ev.origin !== base.origin || ev.source !== frame.contentWindow || !ev.data || typeof ev.data.bbHeight !== "number") { return; }
    frame.style.height = Math.ceil(ev.data.bbHeight) + "px";
    host.dataset.height = String(Math.ceil(ev.data.bbHeight));
  });
})();
