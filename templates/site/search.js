// Filter the career list as one types, in Khmer or English. The list is complete without
// this script (the search box stays hidden then); the data searched is the list's own text.
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  if (!form) { return; }
  var input = form.querySelector("input");
  var status = form.querySelector(".search-status");
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-career]"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("section.group"));

  // The same text typed in another order of Khmer marks, in other case or with extra
  // spaces still matches.
  function normalise(text) {
    return text.normalize("NFC").toLowerCase().replace(/[\u200b\u200c\u200d]/g, "")
      .replace(/\s+/g, " ").trim();
  }
  var texts = items.map(function (item) { return normalise(item.textContent); });

  function filter() {
    var words = normalise(input.value).split(" ").filter(Boolean);
    var shown = 0;
    items.forEach(function (item, i) {
      var match = words.every(function (word) { return texts[i].indexOf(word) !== -1; });
      item.hidden = !match;
      if (match) { shown += 1; }
    });
    groups.forEach(function (group) {
      group.hidden = !group.querySelector("[data-career]:not([hidden])");
    });
    status.textContent = shown ? "" :
      form.getAttribute("data-empty-km") + " / " + form.getAttribute("data-empty-en");
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); });
  input.addEventListener("input", filter);
  form.hidden = false;
  filter();
})();
