/* Canned replies (« Réponses types », tickets/admin/canned.py): the « Insérer » button beside a
   reply's select puts the chosen reply into the note's textarea, at the caret, or after the text
   already there when the textarea was not used yet. The texts come with the page, in the JSON
   script the picker names (data-texts): filled for the ticket on its page, as written in an
   action on several tickets (filled for each ticket when it runs). No request, no library. */
(function () {
  "use strict";

  function texts(id) {
    var node = document.getElementById(id);
    if (!node) {
      return {};
    }
    try {
      return JSON.parse(node.textContent) || {};
    } catch (error) {
      return {};
    }
  }

  function insert(textarea, text, atCaret) {
    var value = textarea.value;
    var start = atCaret ? textarea.selectionStart : value.length;
    var end = atCaret ? textarea.selectionEnd : value.length;
    var before = value.slice(0, start);
    var after = value.slice(end);
    // A reply after text already written starts a paragraph of its own.
    var gap = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    textarea.value = before + gap + text + after;
    var caret = before.length + gap.length + text.length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function setUp(picker) {
    var select = picker.querySelector("select");
    var button = picker.querySelector(".canned-insert");
    if (!select || !button || !select.id) {
      return;
    }
    var textarea = document.getElementById(select.id.replace(/canned_reply$/, "text"));
    if (!textarea) {
      return;
    }
    var used = false; // has the technician placed the caret in the textarea?
    ["focus", "keyup", "mouseup"].forEach(function (name) {
      textarea.addEventListener(name, function () {
        used = true;
      });
    });
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = texts(picker.dataset.texts)[select.value];
      if (!select.value || typeof text !== "string") {
        select.focus();
        return;
      }
      insert(textarea, text, used);
    });
  }

  function start() {
    document.querySelectorAll(".canned-picker").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
