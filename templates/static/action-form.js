// Progressive enhancement of the action form: "Add a row" adds one empty target row at
// once, without a round trip. Without JavaScript, "Add 5 more rows" shows the form again
// with everything typed kept and five more empty rows.
(function () {
  "use strict";
  var more = document.querySelector("button[name=intent][value=more]");
  if (!more) { return; }
  var add = document.createElement("button");
  add.type = "button";
  add.className = "secondary";
  add.id = "add-row";
  add.textContent = "Add a row";
  add.addEventListener("click", function () {
    var selects = document.querySelectorAll("select[name=target]");
    var n = selects.length;
    var last = selects[n - 1].closest("p");
    var row = last.cloneNode(true);
    row.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
    row.querySelectorAll("select, input").forEach(function (f) {
      f.id = (f.name === "target" ? "target_" : "target_note_") + n;
      f.removeAttribute("aria-invalid");
      f.removeAttribute("aria-describedby");
      if (f.tagName === "SELECT") { f.selectedIndex = 0; } else { f.value = ""; }
    });
    row.querySelectorAll("label").forEach(function (l) {
      if (l.htmlFor.indexOf("target_note_") === 0) {
        l.htmlFor = "target_note_" + n;
      } else {
        l.htmlFor = "target_" + n;
        l.textContent = "Target " + (n + 1);
      }
    });
    last.after(row);
    row.querySelector("select").focus();
  });
  more.before(add, " ");
})();
