// Progressive enhancement: a "Copy script" button beside each script. Without JavaScript
// the script is plain text a visitor can select.
(function () {
  "use strict";
  if (!navigator.clipboard) { return; }
  document.querySelectorAll("blockquote.script-text").forEach(function (quote) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy script";
    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(quote.innerText.trim()).then(function () {
        status.textContent = "Copied.";
      }, function () {
        status.textContent = "Could not copy: select the text instead.";
      });
    });
    quote.after(button, status);
  });
})();
